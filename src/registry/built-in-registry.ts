import { spawn } from "node:child_process";
import { mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";

export interface RegistryOptions {
  /** Where config, certificate, blobs, pid and log live (DATA_DIR/registry). */
  stateDir: string;
  /** IPv4:port the registry listens on, and that nodes pull from. */
  listen: string;
  /** A server certificate for the listen address, and the CA that signed it. */
  certificate: () => Promise<{ certPem: string; keyPem: string; caPem: string }>;
  /** dockerd trusts a registry's CA from CERTS_DIR/HOST:PORT/ca.crt, read at every pull. */
  dockerCertsDir: string;
  binary?: string;
  log: (msg: string) => void;
}

/**
 * Berth's own registry: Debian's docker-registry (distribution 2.8), run as a daemon of its
 * own like the router, so it keeps serving nodes while the Berth server restarts. TLS with a
 * certificate from Berth's internal CA, which every dockerd on this host is told to trust;
 * remote nodes need the same ca.crt (docs/swarm.md).
 */
export class BuiltInRegistry {
  constructor(private readonly options: RegistryOptions) {}

  get address(): string {
    return this.options.listen;
  }

  get caPath(): string {
    return join(this.options.stateDir, "ca.crt");
  }

  async start(): Promise<void> {
    const { stateDir, listen } = this.options;
    mkdirSync(join(stateDir, "data"), { recursive: true, mode: 0o700 });
    const pidFile = join(stateDir, "registry.pid");
    const config = join(stateDir, "config.yml");
    if (this.#livePid(pidFile, config) !== undefined && (await this.#answers())) return;
    const cert = await this.options.certificate();
    writeFileSync(join(stateDir, "cert.pem"), cert.certPem, { mode: 0o644 });
    writeFileSync(join(stateDir, "key.pem"), cert.keyPem, { mode: 0o600 });
    writeFileSync(this.caPath, cert.caPem, { mode: 0o644 });
    const trust = join(this.options.dockerCertsDir, listen);
    mkdirSync(trust, { recursive: true });
    writeFileSync(join(trust, "ca.crt"), cert.caPem, { mode: 0o644 });
    writeFileSync(
      config,
      [
        "version: 0.1",
        "log: { level: warn }",
        "storage:",
        `  filesystem: { rootdirectory: ${join(stateDir, "data")} }`,
        "  delete: { enabled: true }",
        "http:",
        `  addr: ${listen}`,
        "  tls:",
        `    certificate: ${join(stateDir, "cert.pem")}`,
        `    key: ${join(stateDir, "key.pem")}`,
        "",
      ].join("\n"),
    );
    const out = openSync(join(stateDir, "registry.log"), "a");
    const child = spawn(this.options.binary ?? "docker-registry", ["serve", config], {
      detached: true,
      stdio: ["ignore", out, out],
    });
    child.unref();
    if (child.pid) writeFileSync(pidFile, `${child.pid}\n`);
    for (let i = 0; i < 100; i++) {
      if (await this.#answers()) {
        this.options.log(`built-in registry serving at https://${listen}`);
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(
      `the built-in registry did not start on ${listen}; see ${join(stateDir, "registry.log")}`,
    );
  }

  #livePid(pidFile: string, config: string): number | undefined {
    try {
      const pid = Number(readFileSync(pidFile, "utf8").trim());
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
      return cmdline.includes(config) ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  #answers(): Promise<boolean> {
    const [host, port] = this.options.listen.split(":") as [string, string];
    let ca: string;
    try {
      ca = readFileSync(this.caPath, "utf8");
    } catch {
      return Promise.resolve(false);
    }
    return new Promise((resolve) => {
      const req = request({ host, port: Number(port), path: "/v2/", ca, timeout: 1000 }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.once("error", () => resolve(false));
      req.once("timeout", () => req.destroy());
      req.end();
    });
  }
}
