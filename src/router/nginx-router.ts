import { execFile } from "node:child_process";
import { copyFile, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { fetchStatusGeneration, waitForGeneration } from "./fetch-status-generation.js";
import { hasStoppedAccepting, liveMasterPid, workerPids } from "./nginx-master.js";
import { pollUntil } from "./poll-until.js";
import { readGeneration } from "./read-generation.js";
import { renderNginxConfig } from "./render-nginx-config.js";
import { emptyRouterTable, type RouteApplier, type RouterTable } from "./route.js";
import { tlsFileContent, tlsFileName } from "./tls-file-name.js";
import { validateRouterSettings } from "./validate-router-input.js";
import { workerAccessProblem } from "./worker-access-problem.js";

const execFileAsync = promisify(execFile);
const CONFIRM_TIMEOUT_MS = 5000;
const STOP_TIMEOUT_MS = 5000;

export interface NginxRouterOptions {
  /** Absolute directory owned by this router: config, pid, logs, temp dirs, status socket. */
  stateDir: string;
  listenHosts: string[];
  port: number;
  httpsPort: number;
  trustedProxies?: string[];
  /** Defaults to /usr/sbin/nginx. */
  nginxBinary?: string;
  log?: (msg: string) => void;
}

const stderrOf = (err: unknown): string => {
  const e = err as { stderr?: unknown; message?: unknown };
  const text = typeof e.stderr === "string" && e.stderr.trim() !== "" ? e.stderr : String(e.message ?? err);
  return text.trim();
};

/**
 * Berth's own nginx: a daemonized master that outlives the Berth server, configured only by
 * rendering the whole nginx.conf from routes. Every change is checked with `nginx -t` on a
 * candidate file, swapped in by rename, reloaded with SIGHUP and confirmed by asking the status
 * socket for the new generation. Calls are serialized; a rejected config leaves the live one alone.
 */
export class NginxRouter implements RouteApplier {
  private readonly stateDir: string;
  private readonly binary: string;
  private readonly log: (msg: string) => void;
  private readonly conf: string;
  private readonly socket: string;
  private queue: Promise<unknown> = Promise.resolve();
  private liveText: string | undefined;
  private liveGeneration: number | undefined;
  /** Generations only grow, across Berth restarts too: seeded from the clock, raised by adopt(). */
  private lastGeneration = Date.now();

  constructor(private readonly options: NginxRouterOptions) {
    this.stateDir = path.resolve(options.stateDir);
    this.binary = options.nginxBinary ?? "/usr/sbin/nginx";
    this.log = options.log ?? (() => {});
    this.conf = path.join(this.stateDir, "nginx.conf");
    this.socket = path.join(this.stateDir, "status.sock");
    validateRouterSettings(this.settingsFor(0));
  }

  /** Adopts the nginx master already running on stateDir, or starts one; then serves `routes`. */
  start(routes: RouterTable = emptyRouterTable()): Promise<void> {
    return this.serialize(async () => {
      await mkdir(path.join(this.stateDir, "tmp"), { recursive: true, mode: 0o755 });
      const problem = workerAccessProblem(this.stateDir);
      if (problem) this.log(`router: warning: ${problem}`);
      const pid = liveMasterPid(this.stateDir);
      if (pid === undefined) return this.launch(routes);
      this.log(`router: adopting running nginx master ${pid}`);
      await this.adopt();
      await this.reload(routes, pid);
    });
  }

  /** Makes exactly `routes` live. Resolves once nginx confirms it serves the new generation. */
  apply(routes: RouterTable): Promise<void> {
    return this.serialize(async () => {
      const pid = liveMasterPid(this.stateDir);
      if (pid === undefined) {
        this.log("router: no nginx master is running; starting one");
        await mkdir(path.join(this.stateDir, "tmp"), { recursive: true, mode: 0o755 });
        return this.launch(routes);
      }
      if (this.liveGeneration === undefined) await this.adopt();
      await this.reload(routes, pid);
    });
  }

  /** Graceful stop: SIGQUIT lets workers finish in-flight requests. */
  stop(): Promise<void> {
    return this.serialize(async () => {
      const pid = liveMasterPid(this.stateDir);
      this.liveText = undefined;
      this.liveGeneration = undefined;
      if (pid === undefined) return;
      process.kill(pid, "SIGQUIT");
      if (!(await pollUntil(() => liveMasterPid(this.stateDir) !== pid, STOP_TIMEOUT_MS))) {
        throw new Error(`nginx master ${pid} did not exit within ${STOP_TIMEOUT_MS} ms of SIGQUIT`);
      }
      this.log(`router: stopped nginx master ${pid}`);
    });
  }

  /** Asks nginx to reopen its log files, after the access log was renamed away. */
  async reopenLogs(): Promise<void> {
    const pid = liveMasterPid(this.stateDir);
    if (pid !== undefined) process.kill(pid, "SIGUSR1");
  }

  /** The access log the metrics reader follows. */
  get accessLogPath(): string {
    return path.join(this.stateDir, "access.log");
  }

  isRunning(): boolean {
    return liveMasterPid(this.stateDir) !== undefined;
  }

  /** The pid of the nginx master serving this stateDir, if one runs. */
  get masterPid(): number | undefined {
    return liveMasterPid(this.stateDir);
  }

  /** The config text nginx has confirmed it serves (undefined before start or after stop). */
  get liveConfig(): string | undefined {
    return this.liveText;
  }

  /** The generation nginx has confirmed it serves. */
  get generation(): number | undefined {
    return this.liveGeneration;
  }

  private serialize<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private settingsFor(generation: number) {
    const { listenHosts, port, httpsPort, trustedProxies = [] } = this.options;
    return { listenHosts, port, httpsPort, trustedProxies, stateDir: this.stateDir, generation };
  }

  private bumpGeneration(): number {
    this.lastGeneration += 1;
    return this.lastGeneration;
  }

  /** Takes over a running master: the config on disk counts as live only if nginx serves its generation. */
  private async adopt(): Promise<void> {
    const text = await readFile(this.conf, "utf8").catch(() => undefined);
    const onDisk = text === undefined ? undefined : readGeneration(text);
    const served = await fetchStatusGeneration(this.socket);
    this.lastGeneration = Math.max(this.lastGeneration, onDisk ?? 0, served ?? 0);
    const consistent = onDisk !== undefined && onDisk === served;
    this.liveText = consistent ? text : undefined;
    this.liveGeneration = consistent ? onDisk : served;
  }

  private async reload(routes: RouterTable, pid: number): Promise<void> {
    const live = this.liveGeneration;
    if (live !== undefined && renderNginxConfig(routes, this.settingsFor(live)) === this.liveText) {
      // Unchanged, provided nginx still serves it (another router on this stateDir may have reloaded).
      if ((await fetchStatusGeneration(this.socket)) === live) return;
    }
    const started = performance.now();
    const generation = this.bumpGeneration();
    const text = renderNginxConfig(routes, this.settingsFor(generation));
    await this.writeTlsFiles(routes);
    await this.install(text, generation);
    const oldWorkers = workerPids(pid);
    process.kill(pid, "SIGHUP");
    try {
      await waitForGeneration(this.socket, generation, CONFIRM_TIMEOUT_MS);
    } catch (err) {
      await this.restorePrevious();
      throw new Error(`${(err as Error).message}; see ${this.stateDir}/error.log`);
    }
    this.liveText = text;
    this.liveGeneration = generation;
    // The master lets old and new workers accept side by side for ~100 ms before it tells the
    // old ones to quit; only after that does every new connection get the new config.
    if (!(await pollUntil(() => oldWorkers.every(hasStoppedAccepting), CONFIRM_TIMEOUT_MS))) {
      this.log(`router: old nginx workers ${oldWorkers.join(", ")} still accept connections`);
    }
    this.log(`router: generation ${generation} live in ${(performance.now() - started).toFixed(1)} ms`);
  }

  private async launch(routes: RouterTable): Promise<void> {
    const previous = await readFile(this.conf, "utf8").catch(() => "");
    this.lastGeneration = Math.max(this.lastGeneration, readGeneration(previous) ?? 0);
    const generation = this.bumpGeneration();
    const text = renderNginxConfig(routes, this.settingsFor(generation));
    if ((await fetchStatusGeneration(this.socket)) !== undefined) {
      throw new Error(
        `an nginx answers on ${this.socket} but nginx.pid names no live master; refusing to start another`,
      );
    }
    await this.writeTlsFiles(routes);
    await this.install(text, generation);
    await rm(this.socket, { force: true }); // left behind by a master that was killed
    try {
      await execFileAsync(this.binary, ["-c", this.conf, "-p", `${this.stateDir}/`]);
    } catch (err) {
      throw new Error(`nginx failed to start:\n${stderrOf(err)}`);
    }
    await waitForGeneration(this.socket, generation, CONFIRM_TIMEOUT_MS);
    this.liveText = text;
    this.liveGeneration = generation;
    this.log(`router: started nginx master ${liveMasterPid(this.stateDir)} at generation ${generation}`);
  }

  /** `nginx -t` on a candidate file, then an atomic rename over nginx.conf (the old one kept as .prev). */
  private async install(text: string, generation: number): Promise<void> {
    const candidate = `${this.conf}.tmp`;
    await writeFile(candidate, text, { mode: 0o644 });
    try {
      await execFileAsync(this.binary, ["-t", "-c", candidate, "-p", `${this.stateDir}/`]);
    } catch (err) {
      await rm(candidate, { force: true });
      throw new Error(
        `nginx -t rejected generation ${generation}; the live config is unchanged:\n${stderrOf(err)}`,
      );
    }
    await copyFile(this.conf, `${this.conf}.prev`).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "ENOENT") throw err;
    });
    await rename(candidate, this.conf);
  }

  /**
   * Certificates go to content-named files (key and chain in one, 0600) before nginx -t reads
   * the config that names them; files no site uses any more are removed.
   */
  private async writeTlsFiles(table: RouterTable): Promise<void> {
    const dir = path.join(this.stateDir, "tls");
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const wanted = new Map<string, string>();
    for (const site of table.sites) if (site.tls) wanted.set(tlsFileName(site.tls), tlsFileContent(site.tls));
    const present = new Set(await readdir(dir));
    for (const [name, content] of wanted) {
      if (present.has(name)) continue;
      await writeFile(path.join(dir, `${name}.tmp`), content, { mode: 0o600 });
      await rename(path.join(dir, `${name}.tmp`), path.join(dir, name));
    }
    // Keep the live config's files until the new one is confirmed: only prune names from neither.
    const live = new Set(this.liveText?.match(/[0-9a-f]{32}\.pem/g) ?? []);
    for (const name of present) {
      if (!wanted.has(name) && !live.has(name)) await rm(path.join(dir, name), { force: true });
    }
  }

  /** After a reload nginx did not confirm, put back the file nginx is still serving. */
  private async restorePrevious(): Promise<void> {
    if (this.liveText !== undefined) await writeFile(`${this.conf}.tmp`, this.liveText, { mode: 0o644 });
    else await copyFile(`${this.conf}.prev`, `${this.conf}.tmp`);
    await rename(`${this.conf}.tmp`, this.conf);
  }
}
