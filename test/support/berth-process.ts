import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import Docker from "dockerode";
import { freePort } from "./free-port.js";

export const REPO = resolve(import.meta.dirname, "../..");
export const BERTH_BIN = join(REPO, "bin/berth");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * A real `berth server` in its own process, data dir, API port and router port, as a user
 * would run it. Tests drive it with the real CLI and clean up everything it created.
 */
export class BerthProcess {
  readonly configHome: string;
  private child: ChildProcess | undefined;
  private output = "";
  token = "";

  private constructor(
    readonly dataDir: string,
    readonly apiPort: number,
    readonly routerPort: number,
    readonly drainMs: number,
    readonly resyncSeconds: number,
    /** The router's HTTPS port (for routes with TLS); the server's default when unset. */
    readonly routerHttpsPort?: number,
    /** --registry: the built-in registry's address, for clusters. */
    readonly registry?: string,
    /** --health-period-seconds; the server's default when unset. */
    readonly healthPeriodSeconds?: number,
    /** --database: a PostgreSQL URL; SQLite in the data dir when unset. */
    readonly database?: string,
  ) {
    this.configHome = mkdtempSync(join(tmpdir(), "berth-cli-"));
  }

  static async start(
    options: {
      drainMs?: number;
      resyncSeconds?: number;
      routerHttpsPort?: number;
      registry?: string;
      healthPeriodSeconds?: number;
      database?: string;
    } = {},
  ): Promise<BerthProcess> {
    const dataDir = mkdtempSync(join(tmpdir(), "berth-test-"));
    const p = new BerthProcess(
      dataDir,
      await freePort(),
      await freePort(),
      options.drainMs ?? 300,
      options.resyncSeconds ?? 10,
      options.routerHttpsPort,
      options.registry,
      options.healthPeriodSeconds,
      options.database,
    );
    await p.launch();
    p.token = readFileSync(join(dataDir, "admin-token"), "utf8").trim();
    return p;
  }

  /** Everything the server printed (its pino log), across restarts. */
  log(): string {
    return this.output;
  }

  /** The id that scopes this server's Docker objects (label berth.instance). */
  instanceId(): string {
    return readFileSync(join(this.dataDir, "instance-id"), "utf8").trim();
  }

  get url(): string {
    return `http://127.0.0.1:${this.apiPort}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts (or restarts) the server on the same data dir and ports, and waits for /healthz. */
  async launch(): Promise<void> {
    const child = spawn(
      process.execPath,
      [
        BERTH_BIN,
        "server",
        "--data-dir",
        this.dataDir,
        "--listen",
        `127.0.0.1:${this.apiPort}`,
        "--router-host",
        "127.0.0.1",
        "--router-port",
        String(this.routerPort),
        "--drain-ms",
        String(this.drainMs),
        "--resync-seconds",
        String(this.resyncSeconds),
        ...(this.routerHttpsPort === undefined ? [] : ["--router-https-port", String(this.routerHttpsPort)]),
        ...(this.registry === undefined ? [] : ["--registry", this.registry]),
        ...(this.database === undefined ? [] : ["--database", this.database]),
        ...(this.healthPeriodSeconds === undefined
          ? []
          : ["--health-period-seconds", String(this.healthPeriodSeconds)]),
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const start = this.output.length;
    child.stdout?.on("data", (d: Buffer) => {
      this.output += d.toString();
    });
    child.stderr?.on("data", (d: Buffer) => {
      this.output += d.toString();
    });
    const log = () => this.output.slice(start);
    this.child = child;
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`berth server exited (${child.exitCode}):\n${log()}`);
      try {
        const res = await fetch(`${this.url}/api/v1/healthz`);
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`berth server did not answer within 20 s:\n${log()}`);
  }

  /** Kills the server process the hard way, as a crash or the OOM killer would. */
  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill(signal);
    await exited;
  }

  /** Runs the CLI exactly as a user would, with this server's URL and token in the environment. */
  cli(
    args: string[],
    options: { env?: Record<string, string>; login?: boolean; input?: string } = {},
  ): Promise<CliResult> {
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: this.configHome,
      XDG_CONFIG_HOME: this.configHome,
      ...(options.login === false ? {} : { BERTH_URL: this.url, BERTH_TOKEN: this.token }),
      ...options.env,
    };
    return new Promise((resolve) => {
      const child = execFile(
        process.execPath,
        [BERTH_BIN, ...args],
        { env, maxBuffer: 32 * 1024 * 1024 },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
      child.stdin?.end(options.input ?? "");
    });
  }

  /** Same as cli() but fails the test with the CLI's own words when it exits non-zero. */
  async ok(args: string[]): Promise<string> {
    const r = await this.cli(args);
    if (r.code !== 0) throw new Error(`berth ${args.join(" ")} exited ${r.code}: ${r.stderr}${r.stdout}`);
    return r.stdout;
  }

  /** Stops the server, then removes its containers, networks and nginx, and its files. */
  async destroy(): Promise<void> {
    await this.kill("SIGTERM");
    const docker = new Docker();
    const label = await removeInstanceWorkloads(this.dataDir);
    // Images built through this server (tests build a few per run; CI machines are reused).
    for (const image of await docker.listImages({ filters: { label } })) {
      await docker
        .getImage(image.Id)
        .remove({ force: true })
        .catch(() => undefined);
    }
    try {
      const pid = Number(readFileSync(join(this.dataDir, "router/nginx.pid"), "utf8").trim());
      if (pid > 0) process.kill(pid, "SIGQUIT");
    } catch {
      // nginx was not running
    }
    try {
      const pid = Number(readFileSync(join(this.dataDir, "registry/registry.pid"), "utf8").trim());
      if (pid > 0) process.kill(pid, "SIGTERM");
    } catch {
      // no registry was running
    }
    await new Promise((r) => setTimeout(r, 200));
    rmSync(this.dataDir, { recursive: true, force: true });
    rmSync(this.configHome, { recursive: true, force: true });
  }
}

/** Removes the containers and networks of the Berth server whose data dir this is; returns its label filter. */
export async function removeInstanceWorkloads(dataDir: string): Promise<string[]> {
  const docker = new Docker();
  const instance = readFileSync(join(dataDir, "instance-id"), "utf8").trim();
  const label = [`berth.instance=${instance}`];
  for (const c of await docker.listContainers({ all: true, filters: { label } })) {
    await docker
      .getContainer(c.Id)
      .remove({ force: true })
      .catch(() => undefined);
  }
  for (const n of await docker.listNetworks({ filters: { label } })) {
    await docker
      .getNetwork(n.Id)
      .remove()
      .catch(() => undefined);
  }
  for (const v of (await docker.listVolumes({ filters: { label } })).Volumes ?? []) {
    await docker
      .getVolume(v.Name)
      .remove()
      .catch(() => undefined);
  }
  return label;
}
