import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface CgiAppOptions {
  /** Seconds the container sleeps before it starts listening (a slow-to-start app). */
  startDelaySeconds?: number;
  /** Ignore SIGTERM: the shell sets it to SIG_IGN, and httpd (exec'd) inherits that. */
  ignoreSigterm?: boolean;
  /** Serve /healthz (default true); without it, the health check on /healthz gets 404. */
  healthz?: boolean;
  /** Answer every request except /healthz with 500 (a canary that errors). */
  failing?: boolean;
}

/**
 * A build context for a 2 MB busybox app on port 8080 whose every answer starts with `name`:
 * GET / serves a static page, POST /cgi-bin/echo reads the body through CGI and answers
 * "<name> <bytes read>". For the zero-downtime proofs under load; see load-loop.ts.
 */
export function cgiApp(name: string, options: CgiAppOptions = {}): string {
  if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`app name must be a plain word: ${name}`);
  const dir = mkdtempSync(join(tmpdir(), "berth-awkward-"));
  const www = join(dir, "www");
  mkdirSync(join(www, "cgi-bin"), { recursive: true });
  if (options.healthz !== false) writeFileSync(join(www, "healthz"), "ok\n");
  const script = (lines: string[]) => ["#!/bin/sh", ...lines, ""].join("\n");
  const status = options.failing ? "Status: 500 Internal Server Error\\r\\n" : "";
  if (options.failing) {
    // For a directory without index.html, busybox httpd runs /cgi-bin/index.cgi.
    writeFileSync(
      join(www, "cgi-bin", "index.cgi"),
      script([`printf '${status}Content-Type: text/plain\\r\\n\\r\\n${name} failing\\n'`]),
    );
  } else {
    writeFileSync(join(www, "index.html"), `${name}\n`);
  }
  writeFileSync(
    join(www, "cgi-bin", "echo"),
    script([
      // Read exactly the body (CONTENT_LENGTH bytes), then answer who we are and what we read.
      'body=$(head -c "${CONTENT_LENGTH:-0}")',
      `printf '${status}Content-Type: text/plain\\r\\n\\r\\n'`,
      `printf '${name} %s\\n' "\${#body}"`,
    ]),
  );
  for (const f of ["echo", "index.cgi"])
    try {
      chmodSync(join(www, "cgi-bin", f), 0o755);
    } catch {
      // index.cgi only exists for failing apps
    }
  const boot = [
    `echo booted ${name}`,
    ...(options.ignoreSigterm ? ["trap '' TERM"] : []),
    ...(options.startDelaySeconds ? [`sleep ${options.startDelaySeconds}`] : []),
    "exec httpd -f -p 8080 -h /www",
  ].join("; ");
  writeFileSync(
    join(dir, "Dockerfile"),
    [
      "FROM berth/busybox:latest",
      "COPY www /www",
      "EXPOSE 8080",
      `CMD ${JSON.stringify(["sh", "-c", boot])}`,
      "",
    ].join("\n"),
  );
  return dir;
}
