import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A build context for a 1 MB busybox web app that answers `body` on / and prints a line at
 * boot: fast enough to deploy many times in a test.
 */
export function busyboxApp(body: string, options: { healthy?: boolean } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "berth-app-"));
  mkdirSync(join(dir, "www"));
  writeFileSync(join(dir, "www", "index.html"), `${body}\n`);
  if (options.healthy !== false) writeFileSync(join(dir, "www", "healthz"), "ok\n");
  writeFileSync(
    join(dir, "Dockerfile"),
    [
      "FROM berth/busybox:latest",
      "COPY www /www",
      "EXPOSE 8080",
      `CMD ["sh", "-c", "echo booted ${body.replace(/[^a-z0-9-]/gi, "")}; exec httpd -f -v -p 8080 -h /www"]`,
      "",
    ].join("\n"),
  );
  return dir;
}

/**
 * A busybox web app that shows what it was given: GET /cgi-bin/env prints its environment,
 * GET /cgi-bin/file?NAME prints /app/config/NAME. Healthy at /healthz.
 */
export function envApp(): string {
  const dir = mkdtempSync(join(tmpdir(), "berth-envapp-"));
  mkdirSync(join(dir, "www", "cgi-bin"), { recursive: true });
  writeFileSync(join(dir, "www", "index.html"), "env app\n");
  writeFileSync(join(dir, "www", "healthz"), "ok\n");
  const cgi = (name: string, body: string) =>
    writeFileSync(
      join(dir, "www", "cgi-bin", name),
      `#!/bin/sh\necho "Content-Type: text/plain"\necho ""\n${body}\n`,
      {
        mode: 0o755,
      },
    );
  cgi("env", "env | sort");
  cgi("file", 'cat "/app/config/${QUERY_STRING:-application.properties}" 2>&1');
  cgi(
    "write",
    'echo x 2>&1 > "/app/config/${QUERY_STRING:-application.properties}" && echo wrote || echo refused',
  );
  writeFileSync(
    join(dir, "Dockerfile"),
    [
      "FROM berth/busybox:latest",
      "COPY www /www",
      "EXPOSE 8080",
      'CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]',
      "",
    ].join("\n"),
  );
  return dir;
}
