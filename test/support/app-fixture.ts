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
