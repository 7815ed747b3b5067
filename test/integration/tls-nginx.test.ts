import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import https from "node:https";
import os from "node:os";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InternalCa } from "../../src/tls/internal-ca.js";
import { freePort } from "../support/free-port.js";

const NGINX = "/usr/sbin/nginx";
const HOST = "app.dev.acme.localhost";
const execFileAsync = promisify(execFile);

interface Reply {
  status: number;
  body: string;
}

function get(port: number, servername: string, ca?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      { host: "127.0.0.1", port, path: "/", servername, ca, headers: { host: servername }, agent: false },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          body += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.setTimeout(5000, () => req.destroy(new Error("request timed out")));
    req.on("error", reject);
  });
}

function nginxConf(dir: string, port: number): string {
  return [
    "daemon on;",
    "worker_processes 1;",
    `pid ${dir}/nginx.pid;`,
    `error_log ${dir}/error.log warn;`,
    "events { worker_connections 64; }",
    "http {",
    "  access_log off;",
    ...["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((t) => `  ${t}_temp_path ${dir}/${t}_temp;`),
    "  server {",
    `    listen 127.0.0.1:${port} ssl;`,
    `    server_name ${HOST};`,
    `    ssl_certificate ${dir}/tls.crt;`,
    `    ssl_certificate_key ${dir}/tls.key;`,
    "    default_type text/plain;",
    '    location / { return 200 "ok"; }',
    "  }",
    "}",
    "",
  ].join("\n");
}

describe.skipIf(!existsSync(NGINX))("a certificate from InternalCa in a real nginx", () => {
  let dir: string;
  let port: number;
  let ca: InternalCa;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "berth-tls-nginx-"));
    // Workers run as "nobody" when the tests run as root; they must reach their temp dirs.
    await chmod(dir, 0o755);
    port = await freePort();
    ca = await InternalCa.open(path.join(dir, "ca"));
    const issued = await ca.issue(HOST);
    await writeFile(path.join(dir, "tls.crt"), issued.certPem);
    await writeFile(path.join(dir, "tls.key"), issued.keyPem, { mode: 0o600 });
    await writeFile(path.join(dir, "nginx.conf"), nginxConf(dir, port));
    // -e keeps nginx's startup errors in our dir instead of /var/log/nginx.
    await execFileAsync(NGINX, ["-e", `${dir}/error.log`, "-c", `${dir}/nginx.conf`, "-p", `${dir}/`]);
  });

  afterAll(async () => {
    if (!dir) return;
    const pidFile = path.join(dir, "nginx.pid");
    const pid = Number((await readFile(pidFile, "utf8").catch(() => "")).trim());
    if (Number.isInteger(pid) && pid > 0) {
      process.kill(pid, "SIGQUIT");
      // nginx removes its pid file as the master exits.
      for (let waited = 0; existsSync(pidFile) && waited < 10_000; waited += 20) await delay(20);
      if (existsSync(pidFile)) throw new Error(`nginx master ${pid} did not exit; ${dir} is kept`);
    }
    await rm(dir, { recursive: true, force: true });
  });

  it("serves HTTPS that verifies against the CA certificate", async () => {
    expect(await get(port, HOST, ca.caCertPem())).toEqual({ status: 200, body: "ok" });
  });

  it("fails verification for a client that does not trust the CA", async () => {
    await expect(get(port, HOST)).rejects.toMatchObject({ code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE" });
  });

  it("fails verification for a host the certificate does not name", async () => {
    await expect(get(port, "other.dev.acme.localhost", ca.caCertPem())).rejects.toMatchObject({
      code: "ERR_TLS_CERT_ALTNAME_INVALID",
    });
  });
});
