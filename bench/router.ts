/**
 * Router throughput and latency: Berth's nginx router against the same backend container reached
 * directly, through a minimal hand-written nginx (and variants of it that each add one of Berth's
 * settings), HAProxy and Caddy, all side by side in the same run, in interleaved rounds.
 *
 *   npx tsx bench/router.ts   # ROUNDS=5 DURATION_S=10 CONNECTIONS=50 VARIANTS=1 EXTRA_VARIANTS=0 CANARY_WEIGHT=10
 *
 * Saturation: wrk, 1 thread, CONNECTIONS connections, DURATION_S per target per round.
 * Fixed rate: RATE_FRACTION (0.5) of the direct capacity. A Node open-loop client is used when its
 * own ceiling against the direct backend (measured and reported) is at least 1.2x that rate;
 * otherwise wrk paced with a think time carries the rate, and the Node client runs at half its
 * ceiling. Before every run the bench waits for TIME_WAIT sockets toward the backend to drain
 * (see SETTLE_TIME_WAIT). Needs root (it installs wrk, haproxy and caddy from Debian when they
 * are missing) and the setup done (scripts/setup). Results: a table on stdout and a JSON file in
 * RESULTS_DIR (default /tmp/berth-bench, since bench/results/ is not ignored by git).
 */
import { execFile } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { BerthProcess, REPO, removeInstanceWorkloads } from "../test/support/berth-process.js";
import { freePort } from "../test/support/free-port.js";
import { getViaRouter } from "../test/support/http-via-router.js";
import {
  type FixedRateResult,
  fixedRate,
  type LoadResult,
  nodeClosedLoop,
  runWrk,
  writeWrkScripts,
} from "./load.js";
import {
  berthProxyHeaders,
  berthUpstreamSettings,
  cmdline,
  cpuByPid,
  isAlive,
  listenPorts,
  ManagedProcess,
  moveBerthConfig,
  NGINX_MINIMAL,
  type NginxVariant,
  nginxVariants,
  processTree,
  renderCaddyfile,
  renderHaproxy,
  renderNginx,
  upstreamServers,
  writeConfig,
} from "./router-proxies.js";
import { median, percentile } from "./stats.js";

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const DURATION_S = Number(process.env.DURATION_S ?? 10);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 50);
const RATE_DURATION_S = Number(process.env.RATE_DURATION_S ?? DURATION_S);
const RATE_FRACTION = Number(process.env.RATE_FRACTION ?? 0.5);
const VARIANTS = process.env.VARIANTS !== "0";
/** Two more variants whose lesson is already known (they collapse; see docs/benchmarks.md) and that each cost a minute of settling. */
const EXTRA_VARIANTS = process.env.EXTRA_VARIANTS === "1";
const CANARY_WEIGHT = process.env.CANARY_WEIGHT ?? "10";
const RESULTS_DIR = process.env.RESULTS_DIR ?? "/tmp/berth-bench";
/** wrk's paced cross-check: each connection waits this long after an answer before its next request. */
const PACED_DELAY_MS = 10;
/**
 * Before each run, wait until fewer than this many sockets toward the backend are in TIME_WAIT
 * (at most TIME_WAIT_MAX_S). A proxy that opens and closes upstream connections leaves them for
 * 60 s, and docker-proxy's side (host to container, not loopback, so never reused early) runs out
 * of its ~28k local ports: every target measured after that would start in a degraded state.
 */
const SETTLE_TIME_WAIT = Number(process.env.SETTLE_TIME_WAIT ?? 1000);
const TIME_WAIT_MAX_S = 70;

const IMAGE = "berth-bench/router-backend:1";
const BACKEND_PORT = 8080;
const TENANT = "bench";
const ENV = "dev";
const APP = "web";
const STATE_FILE = join(tmpdir(), "berth-bench-router.state.json");

const GOALS = { ratioToBest: 0.95, canaryCost: 0.05, addedP50Ms: 0.2, addedP99Ms: 1 };

// ---------------------------------------------------------------------------------------------
// Small helpers

interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** execFile, never a shell; resolves with the exit code instead of throwing. */
function exec(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<ExecResult> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 600_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

async function mustExec(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  const r = await exec(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.code}:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

const log = (msg: string) => process.stderr.write(`${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : "-");
const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : "-");
const f3 = (n: number) => (Number.isFinite(n) ? n.toFixed(3) : "-");
const kilo = (n: number) => (Number.isFinite(n) ? `${(n / 1000).toFixed(1)}k` : "-");

// ---------------------------------------------------------------------------------------------
// What this run started, on disk, so that a run killed with SIGKILL is cleaned up by the next one.

interface RunState {
  ownerPid: number;
  workDir: string;
  berthDataDir?: string;
  berthConfigHome?: string;
  berthPid?: number;
  /** Processes the bench started; `marker` must appear in the command line before one is killed. */
  pids: { pid: number; marker: string }[];
}

let state: RunState | undefined;
const saveState = () => state && writeFileSync(STATE_FILE, JSON.stringify(state, null, 2));

async function killTree(pid: number, marker: string): Promise<void> {
  if (!isAlive(pid) || !cmdline(pid).includes(marker)) return;
  const tree = processTree(pid);
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return;
  }
  for (let i = 0; i < 50 && isAlive(pid); i++) await sleep(100);
  for (const p of tree) {
    if (isAlive(p)) {
      try {
        process.kill(p, "SIGKILL");
      } catch {
        // gone
      }
    }
  }
}

/** Removes what an earlier run left behind when it could not clean up (SIGKILL, machine stop). */
async function recoverLeftovers(): Promise<void> {
  if (!existsSync(STATE_FILE)) return;
  const old = JSON.parse(readFileSync(STATE_FILE, "utf8")) as RunState;
  if (old.ownerPid !== process.pid && isAlive(old.ownerPid) && cmdline(old.ownerPid).includes("router")) {
    throw new Error(`another bench/router.ts run is in progress (pid ${old.ownerPid}); wait for it to end`);
  }
  log(`cleaning up after an earlier run that did not finish (${STATE_FILE})`);
  for (const { pid, marker } of old.pids) await killTree(pid, marker);
  if (old.berthDataDir && existsSync(old.berthDataDir)) {
    const dataDir = old.berthDataDir;
    if (old.berthPid) await killTree(old.berthPid, dataDir);
    try {
      const pid = Number(readFileSync(join(dataDir, "router/nginx.pid"), "utf8").trim());
      if (pid > 0) await killTree(pid, dataDir);
    } catch {
      // no router
    }
    try {
      await removeInstanceWorkloads(dataDir);
    } catch {
      // no instance id: the server never started
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
  if (old.berthConfigHome) rmSync(old.berthConfigHome, { recursive: true, force: true });
  rmSync(old.workDir, { recursive: true, force: true });
  rmSync(STATE_FILE, { force: true });
}

// ---------------------------------------------------------------------------------------------
// Tools and the backend image

/** Installs wrk, haproxy, caddy (and nginx) from Debian when missing, without starting their services. */
async function ensureTools(): Promise<void> {
  const wanted = ["wrk", "haproxy", "caddy", "nginx"];
  const missing: string[] = [];
  for (const pkg of wanted) {
    const r = await exec("dpkg-query", ["-W", "-f=${Status}", pkg]);
    if (!r.stdout.includes("install ok installed")) missing.push(pkg);
  }
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0)
    throw new Error(`install ${missing.join(" ")} (apt-get install) or run as root`);
  log(`installing Debian packages: ${missing.join(" ")}`);
  const daemons = () => new Set(procPids().filter((p) => /\/etc\/(haproxy|caddy|nginx)\//.test(cmdline(p))));
  const before = daemons();
  // Like scripts/setup: policy-rc.d keeps the packages from starting their Debian services.
  const policy = "/usr/sbin/policy-rc.d";
  const ownPolicy = !existsSync(policy);
  if (ownPolicy) writeFileSync(policy, "#!/bin/sh\nexit 101\n", { mode: 0o755 });
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    await mustExec("apt-get", ["update", "-qq"], { env });
    await mustExec("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...missing], { env });
  } finally {
    if (ownPolicy) rmSync(policy, { force: true });
  }
  // Should a package have started its service anyway, stop that one (only processes that are new).
  for (const p of daemons()) {
    if (!before.has(p)) {
      log(`stopping ${cmdline(p)} (started by the package install)`);
      await killTree(p, "/etc/");
    }
  }
}

/** Every pid in /proc. */
function procPids(): number[] {
  return readdirSync("/proc")
    .filter((p) => /^\d+$/.test(p))
    .map(Number);
}

const BACKEND_NGINX_CONF = `daemon off;
worker_processes 1;
error_log stderr warn;
events {
  worker_connections 4096;
}
http {
  access_log off;
  keepalive_requests 1000000;
  keepalive_timeout 65s;
  server {
    listen ${BACKEND_PORT};
    location / {
      default_type text/plain;
      return 200 "ok\\n";
    }
  }
}
`;

const BACKEND_DOCKERFILE = `FROM berth/debian:bookworm
RUN apt-get update && apt-get install -y --no-install-recommends nginx-light \\
 && rm -rf /var/lib/apt/lists/* /etc/nginx/sites-enabled/*
COPY nginx.conf /etc/nginx/bench.conf
EXPOSE ${BACKEND_PORT}
CMD ["nginx", "-c", "/etc/nginx/bench.conf"]
`;

/** The backend: Debian's nginx answering a 3-byte body, built once (Docker's cache makes reruns instant). */
async function buildBackendImage(workDir: string): Promise<void> {
  const ctx = join(workDir, "backend-image");
  mkdirSync(ctx, { recursive: true });
  writeFileSync(join(ctx, "Dockerfile"), BACKEND_DOCKERFILE);
  writeFileSync(join(ctx, "nginx.conf"), BACKEND_NGINX_CONF);
  log(`building ${IMAGE} (Debian nginx-light; cached after the first run)`);
  await mustExec("docker", ["build", "-q", "--label", "berth.bench=router", "-t", IMAGE, ctx]);
}

// ---------------------------------------------------------------------------------------------
// Targets

interface Target {
  key: string;
  label: string;
  port: number;
  host: string;
  /** The proxy's processes now (for CPU accounting); empty for the direct backend. */
  pids: () => number[];
  /** Files to truncate after each run (access logs), so disks do not fill. */
  logs: string[];
}

interface Run {
  round: number;
  key: string;
  mode: "wrk" | "node-fixed" | "wrk-paced";
  result: LoadResult | FixedRateResult;
  /** CPU ms during the run: the proxy's processes, docker-proxy, and the backend container. */
  cpu: { proxyMs: number; dockerProxyMs: number; backendMs: number };
  wallMs: number;
  /** Sockets toward the backend in TIME_WAIT when the run started. */
  timeWaitAtStart: number;
  /** The machine's 1-minute load average at the end of the run (2 cores; other work shares them). */
  loadAvg: number;
}

async function waitFor200(port: number, host: string, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const res = await getViaRouter(port, host, "/", 1000);
      if (res.status === 200) return;
      last = `${res.status} ${res.body.trim()}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await sleep(100);
  }
  throw new Error(`${what} on 127.0.0.1:${port} did not answer 200 within 20 s (last: ${last})`);
}

/** "0100007F:1F90" (/proc/net/tcp, little-endian IPv4) for 127.0.0.1:8080. */
function procNetAddress(ip: string, port: number): string {
  const hexIp = ip
    .split(".")
    .map((o) => Number(o).toString(16).padStart(2, "0").toUpperCase())
    .reverse()
    .join("");
  return `${hexIp}:${port.toString(16).padStart(4, "0").toUpperCase()}`;
}

/** Sockets in TIME_WAIT whose remote end is one of `remotes` (from /proc/net/tcp, this network namespace). */
function timeWaitTo(remotes: string[]): number {
  let n = 0;
  for (const line of readFileSync("/proc/net/tcp", "utf8").split("\n")) {
    const cols = line.trim().split(/\s+/);
    if (cols[3] === "06" && remotes.includes(cols[2] as string)) n++;
  }
  return n;
}

function findDockerProxy(hostPort: number): number[] {
  return procPids().filter((p) => {
    const c = cmdline(p);
    return c.includes("docker-proxy") && c.includes(`-host-port ${hostPort} `);
  });
}

// ---------------------------------------------------------------------------------------------

const cleanups: { name: string; fn: () => Promise<void> }[] = [];
let cleaning: Promise<void> | undefined;

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const { name, fn } of cleanups.reverse()) {
      try {
        await fn();
      } catch (error) {
        log(`cleanup of ${name} failed: ${(error as Error).message}`);
      }
    }
    // Only this run's own state file: a run refused because another is in progress leaves that one's alone.
    if (state) rmSync(STATE_FILE, { force: true });
  })();
  return cleaning;
}

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => {
    log(`\n${signal}: cleaning up`);
    void cleanup().then(() => process.exit(130));
  });
}

async function main() {
  await recoverLeftovers();
  const workDir = mkdtempSync(join(tmpdir(), "berth-bench-router-"));
  state = { ownerPid: process.pid, workDir, pids: [] };
  saveState();
  cleanups.push({ name: "work dir", fn: async () => rmSync(workDir, { recursive: true, force: true }) });

  await ensureTools();
  if (!existsSync(join(REPO, "dist/berth.js"))) {
    log("building Berth (dist/ is missing)");
    await mustExec("npm", ["run", "-s", "build"]);
  }
  await buildBackendImage(workDir);
  const versions = {
    nginx: (await exec("/usr/sbin/nginx", ["-v"])).stderr.trim(),
    haproxy: (await exec("haproxy", ["-v"])).stdout.split("\n")[0]?.trim(),
    caddy: (await exec("caddy", ["version"])).stdout.trim(),
    wrk: (await exec("wrk", ["-v"])).stdout.split("\n")[0]?.trim(),
    docker: (await exec("docker", ["version", "--format", "{{.Server.Version}}"])).stdout.trim(),
    node: process.version,
  };

  // (b) Berth, and the one backend container: the one Berth deploys. Every other target proxies
  // to the same 127.0.0.1 port Berth's router uses (Docker publishes it; docker-proxy carries it).
  log("starting Berth and deploying the backend");
  const berth = await BerthProcess.start({ drainMs: 300, resyncSeconds: 60 });
  state.berthDataDir = berth.dataDir;
  state.berthConfigHome = berth.configHome;
  state.berthPid = berth.pid;
  saveState();
  cleanups.push({ name: "berth", fn: () => berth.destroy() });
  const scope = ["--tenant", TENANT, "--env", ENV];
  await berth.ok(["tenant", "create", TENANT]);
  await berth.ok(["env", "create", ENV, "--tenant", TENANT]);
  await berth.ok(["app", "create", APP, "--tenant", TENANT]);
  await berth.ok([
    "deploy",
    APP,
    ...scope,
    "--image",
    IMAGE,
    "--port",
    String(BACKEND_PORT),
    "--health-path",
    "/",
  ]);
  const appUrl = new URL((await berth.ok(["url", APP, ...scope])).trim());
  const appHost = appUrl.host;
  const rows = JSON.parse(await berth.ok(["ps", APP, ...scope, "--json"])) as {
    id: string;
    hostPort: number | null;
    serving: boolean;
  }[];
  const serving = rows.find((r) => r.serving && r.hostPort);
  if (!serving?.hostPort)
    throw new Error(`no serving container with a published port: ${JSON.stringify(rows)}`);
  const backendPort = serving.hostPort;
  const docker = new Docker();
  const backendInfo = await docker.getContainer(serving.id).inspect();
  const backendContainerPid = backendInfo.State.Pid;
  const backendIps = Object.values(backendInfo.NetworkSettings.Networks ?? {})
    .map((n) => n.IPAddress)
    .filter(Boolean);
  // TIME_WAIT toward the published port (proxy to docker-proxy) and toward the container (docker-proxy to it).
  const backendRemotes = [
    procNetAddress("127.0.0.1", backendPort),
    ...backendIps.map((ip) => procNetAddress(ip, BACKEND_PORT)),
  ];
  const routerStateDir = join(berth.dataDir, "router");
  const berthRouterPids = () => {
    try {
      return processTree(Number(readFileSync(join(routerStateDir, "nginx.pid"), "utf8").trim()));
    } catch {
      return [];
    }
  };
  const berthConfig = readFileSync(join(routerStateDir, "nginx.conf"), "utf8");
  log(`backend container ${serving.id.slice(0, 12)} on 127.0.0.1:${backendPort}; app host ${appHost}`);

  const targets = new Map<string, Target>();
  const add = (t: Target) => targets.set(t.key, t);
  add({
    key: "a",
    label: "direct: the backend container",
    port: backendPort,
    host: appHost,
    pids: () => [],
    logs: [],
  });
  add({
    key: "b",
    label: "Berth's router",
    port: berth.routerPort,
    host: appHost,
    pids: berthRouterPids,
    logs: [join(routerStateDir, "access.log")],
  });

  // (c) and its variants, (d) HAProxy, (e) Caddy: children of this process, each with its own dir and port.
  const started: ManagedProcess[] = [];
  const procOf = new Map<string, ManagedProcess>();
  cleanups.push({
    name: "proxies",
    fn: async () => {
      await Promise.all(started.map((p) => p.stop()));
    },
  });
  const track = (p: ManagedProcess, marker: string) => {
    started.push(p);
    procOf.set(p.name, p);
    state?.pids.push({ pid: p.pid, marker });
    saveState();
    return p;
  };
  const berthUpstream = { ...berthUpstreamSettings(berthConfig), headers: berthProxyHeaders(berthConfig) };
  // Berth may reach the container at its network address instead of the published port. The
  // bench itself sends only to 127.0.0.0/8, so a, c, d and e always go through docker-proxy.
  const published = `127.0.0.1:${backendPort}`;
  const berthUpstreams = upstreamServers(berthConfig);
  const berthBypassesDockerProxy = !berthUpstreams.every((u) => u === published);
  const pathNote = berthBypassesDockerProxy
    ? `Berth's router reaches the container at ${berthUpstreams.join(", ")}, skipping docker-proxy; a, c, d and e go through docker-proxy (127.0.0.1:${backendPort}), because the bench sends only to 127.0.0.0/8. Ratios of b include docker-proxy's cost; c.berth is Berth's config on the same path as c, d and e.`
    : "";
  if (pathNote) log(pathNote);
  const variants: NginxVariant[] = [
    NGINX_MINIMAL,
    ...(VARIANTS ? nginxVariants(berthUpstream, EXTRA_VARIANTS) : []),
  ];
  for (const v of variants) {
    const dir = join(workDir, `nginx-${v.key}`);
    const port = await freePort();
    const conf = writeConfig(dir, "nginx.conf", renderNginx(v, dir, port, backendPort));
    const p = track(ManagedProcess.start(v.key, dir, "/usr/sbin/nginx", ["-p", dir, "-c", conf]), dir);
    add({
      key: v.key,
      label: v.label,
      port,
      host: appHost,
      pids: () => processTree(p.pid),
      logs: v.accessLog === "off" ? [] : [join(dir, "access.log")],
    });
  }
  // Berth's own rendered config, run by hand beside it (should match b), and the same with a
  // larger upstream keep-alive pool: what changing that one setting in Berth would give.
  const moved: { key: string; label: string; upstream?: { keepalive: number; keepaliveTimeout: string } }[] =
    [
      { key: "c.berth", label: "Berth's rendered nginx.conf, via docker-proxy" },
      ...(berthUpstream.keepalive < 256
        ? [
            {
              key: "c.berth.ka",
              label: "same, upstream keepalive 256, timeout 60s",
              upstream: { keepalive: 256, keepaliveTimeout: "60s" },
            },
          ]
        : []),
    ];
  const backendAddresses = [published, ...backendIps.map((ip) => `${ip}:${BACKEND_PORT}`)];
  for (const m of VARIANTS ? moved : []) {
    const dir = join(workDir, `nginx-${m.key}`);
    const ports = new Map<number, number>();
    for (const p of listenPorts(berthConfig)) ports.set(p, await freePort());
    const text = moveBerthConfig(
      berthConfig,
      routerStateDir,
      dir,
      ports,
      backendAddresses,
      published,
      m.upstream,
    );
    if (text === undefined) {
      log(`${m.key}: Berth's config uses include or an upstream that is not the backend; not run`);
      continue;
    }
    const conf = writeConfig(dir, "nginx.conf", text);
    if (existsSync(join(routerStateDir, "tls")))
      cpSync(join(routerStateDir, "tls"), join(dir, "tls"), { recursive: true });
    const p = track(ManagedProcess.start(m.key, dir, "/usr/sbin/nginx", ["-p", dir, "-c", conf]), dir);
    add({
      key: m.key,
      label: m.label,
      port: ports.get(berth.routerPort) as number,
      host: appHost,
      pids: () => processTree(p.pid),
      logs: [join(dir, "access.log")],
    });
  }
  {
    const dir = join(workDir, "haproxy");
    const port = await freePort();
    const conf = writeConfig(dir, "haproxy.cfg", renderHaproxy(port, backendPort));
    const p = track(ManagedProcess.start("d", dir, "haproxy", ["-db", "-f", conf]), dir);
    add({
      key: "d",
      label: "HAProxy (nbthread 1)",
      port,
      host: appHost,
      pids: () => processTree(p.pid),
      logs: [],
    });
  }
  const caddies: { key: string; label: string; pool?: number }[] = [
    { key: "e", label: "Caddy (GOMAXPROCS=1, idle pool 256)", pool: 256 },
    ...(EXTRA_VARIANTS ? [{ key: "e.def", label: "Caddy with its default idle pool (32)" }] : []),
  ];
  for (const c of caddies) {
    const dir = join(workDir, `caddy-${c.key}`);
    const port = await freePort();
    const conf = writeConfig(dir, "Caddyfile", renderCaddyfile(port, backendPort, c.pool));
    // GOMAXPROCS=1: one core, like Berth's single nginx worker and HAProxy's single thread.
    const env = { ...process.env, HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir, GOMAXPROCS: "1" };
    const p = track(
      ManagedProcess.start(c.key, dir, "caddy", ["run", "--config", conf, "--adapter", "caddyfile"], env),
      dir,
    );
    add({ key: c.key, label: c.label, port, host: appHost, pids: () => processTree(p.pid), logs: [] });
  }
  for (const t of targets.values()) {
    try {
      await waitFor200(t.port, t.host, t.label);
    } catch (error) {
      const p = procOf.get(t.key);
      throw new Error(`${(error as Error).message}\n${p?.log() ?? ""}`);
    }
  }

  // Canary rules: the CLI is being built alongside this benchmark.
  const canaryHelp = await berth.cli(["canary", "--help"]);
  const canaryAvailable = canaryHelp.code === 0 && canaryHelp.stdout.includes("Usage: berth canary");
  let canaryNote = canaryAvailable
    ? ""
    : "TODO: `berth canary` does not exist in this build; canary cost not measured";
  const canaryArgs = [
    "canary",
    "start",
    APP,
    ...scope,
    "--image",
    IMAGE,
    "--port",
    String(BACKEND_PORT),
    "--health-path",
    "/",
    "--header",
    "X-Dept=finance",
    "--cookie",
    "grp=beta",
    "--source-cidr",
    "10.0.0.0/8",
    "--weight",
    CANARY_WEIGHT,
  ];
  let canaryStatus: string | undefined;
  if (canaryAvailable) {
    add({
      key: "b.canary",
      label: `Berth's router, canary rules loaded (weight ${CANARY_WEIGHT})`,
      port: berth.routerPort,
      host: appHost,
      pids: berthRouterPids,
      logs: [join(routerStateDir, "access.log")],
    });
  } else {
    log(canaryNote);
  }

  const scripts = writeWrkScripts(workDir, PACED_DELAY_MS);
  const dockerProxyPids = findDockerProxy(backendPort);
  const runs: Run[] = [];

  let settledS = 0;
  const settle = async (): Promise<number> => {
    const t0 = performance.now();
    let tw = timeWaitTo(backendRemotes);
    while (tw > SETTLE_TIME_WAIT && performance.now() - t0 < TIME_WAIT_MAX_S * 1000) {
      await sleep(1000);
      tw = timeWaitTo(backendRemotes);
    }
    settledS += (performance.now() - t0) / 1000;
    return tw;
  };

  const measure = async (
    round: number,
    t: Target,
    mode: Run["mode"],
    go: () => Promise<LoadResult>,
  ): Promise<Run> => {
    const timeWaitAtStart = await settle();
    const backendPids = () => processTree(backendContainerPid);
    const before = { proxy: cpuByPid(t.pids()), dp: cpuByPid(dockerProxyPids), be: cpuByPid(backendPids()) };
    const t0 = performance.now();
    const result = await go();
    const wallMs = performance.now() - t0;
    // Per process, so that a worker that exits during the run (after a reload) does not count
    // negative, and one that starts during it counts from zero.
    const spent = (was: Map<number, number>, pids: number[]) => {
      let ms = 0;
      for (const [pid, now] of cpuByPid(pids)) ms += now - (was.get(pid) ?? 0);
      return ms;
    };
    const run: Run = {
      round,
      key: t.key,
      mode,
      result,
      wallMs,
      timeWaitAtStart,
      loadAvg: loadavg()[0] as number,
      cpu: {
        proxyMs: spent(before.proxy, t.pids()),
        dockerProxyMs: spent(before.dp, dockerProxyPids),
        backendMs: spent(before.be, backendPids()),
      },
    };
    for (const file of t.logs) {
      try {
        truncateSync(file, 0);
      } catch {
        // not there yet
      }
    }
    if (round >= 0) runs.push(run);
    if (result.errors > 0) log(`  ${t.key} ${mode}: ${result.errors} errors`);
    return run;
  };
  const wrkOn = (t: Target, durationS = DURATION_S) =>
    runWrk({ port: t.port, host: t.host, connections: CONNECTIONS, durationS, script: scripts.done });

  const canaryOn = async () => {
    await berth.ok(canaryArgs);
    canaryStatus ??= (await berth.cli(["canary", "status", APP, ...scope])).stdout;
    await waitFor200(berth.routerPort, appHost, "Berth's router with the canary");
  };
  const canaryOff = async () => {
    await berth.ok(["canary", "abort", APP, ...scope]);
    await waitFor200(berth.routerPort, appHost, "Berth's router after the canary");
    // The reload left the new worker without upstream connections: fill its pool before b is measured.
    await wrkOn(targets.get("b") as Target, 1);
  };

  // Warm-up: fill every proxy's upstream keep-alive pool, page in code.
  log("warm-up");
  for (const t of targets.values()) {
    if (t.key === "b.canary") continue;
    await measure(-1, t, "wrk", () => wrkOn(t, 2));
  }

  const saturationKeys = [...targets.keys()];
  const estimate =
    ROUNDS * (saturationKeys.length * DURATION_S + 5 * 2 * RATE_DURATION_S) +
    (canaryAvailable ? ROUNDS * 10 : 0);
  log(
    `${ROUNDS} rounds; about ${Math.ceil(estimate / 60)} min of load, plus up to 1 min of settling after each target that churns upstream connections`,
  );

  // Phase 1: saturation, wrk, interleaved and rotated each round.
  for (let r = 0; r < ROUNDS; r++) {
    const order = saturationKeys.map((_, i) => saturationKeys[(i + r) % saturationKeys.length] as string);
    const line: string[] = [];
    for (const key of order) {
      const t = targets.get(key) as Target;
      if (key === "b.canary") {
        try {
          await canaryOn();
          await wrkOn(t, 1);
          await measure(r, t, "wrk", () => wrkOn(t));
        } catch (error) {
          canaryNote = `canary run failed, canary cost not measured: ${(error as Error).message.split("\n")[0]}`;
          log(canaryNote);
          targets.delete("b.canary");
          saturationKeys.splice(saturationKeys.indexOf("b.canary"), 1);
        } finally {
          await canaryOff().catch((error) => log(`canary abort failed: ${(error as Error).message}`));
        }
        if (!targets.has("b.canary")) continue;
      } else {
        await measure(r, t, "wrk", () => wrkOn(t));
      }
      const last = runs.at(-1) as Run;
      if (last.key === key) line.push(`${key} ${kilo(last.result.rps)}`);
    }
    log(`round ${r + 1}/${ROUNDS} saturation: ${line.join(", ")}`);
  }

  // Phase 2: fixed rate at RATE_FRACTION of the direct capacity.
  const sat = (key: string) => runs.filter((x) => x.key === key && x.mode === "wrk");
  const directCapacity = median(sat("a").map((x) => x.result.rps));
  const rate = Math.round(directCapacity * RATE_FRACTION);
  const direct = targets.get("a") as Target;
  log(`fixed rate: ${rate} req/s (${RATE_FRACTION} x direct capacity ${Math.round(directCapacity)})`);
  const nodeCeiling = await nodeClosedLoop({
    port: direct.port,
    host: direct.host,
    durationS: 5,
    connections: CONNECTIONS,
  });
  log(`node client ceiling against the direct backend: ${Math.round(nodeCeiling.rps)} req/s`);
  // The Node client is only trusted at rates well under its own ceiling; above that, wrk paced
  // carries the fixed-rate figures and the Node client runs at half its ceiling instead.
  const nodeRate = nodeCeiling.rps >= rate * 1.2 ? rate : Math.round(nodeCeiling.rps / 2);
  if (nodeRate !== rate) {
    log(
      `the Node client cannot carry ${rate} req/s; it runs at ${nodeRate} req/s, wrk paced at ${rate} req/s`,
    );
  }
  // Think time 10 ms plus roughly 0.5 ms of answer: connections for the rate.
  const pacedConnections = Math.max(1, Math.round((rate * (PACED_DELAY_MS + 0.5)) / 1000));
  const rateKeys = [
    "a",
    "b",
    "c",
    "d",
    "e",
    ...(berthBypassesDockerProxy && targets.has("c.berth") ? ["c.berth"] : []),
  ];
  for (let r = 0; r < ROUNDS; r++) {
    const order = rateKeys.map((_, i) => rateKeys[(i + r) % rateKeys.length] as string);
    for (const key of order) {
      const t = targets.get(key) as Target;
      await measure(r, t, "wrk-paced", () =>
        runWrk({
          port: t.port,
          host: t.host,
          connections: pacedConnections,
          durationS: RATE_DURATION_S,
          script: scripts.paced,
        }),
      );
      await measure(r, t, "node-fixed", () =>
        fixedRate({
          port: t.port,
          host: t.host,
          rps: nodeRate,
          durationS: RATE_DURATION_S,
          connections: CONNECTIONS,
        }),
      );
    }
    log(`round ${r + 1}/${ROUNDS} fixed rate done`);
  }

  // ------------------------------------------------------------------------------------------
  // Report
  const of = (key: string, mode: Run["mode"]) => runs.filter((x) => x.key === key && x.mode === mode);
  const stat = (xs: number[]) => ({ median: median(xs), p95: percentile(xs, 95), min: Math.min(...xs) });
  const paired = (k1: string, k2: string, mode: Run["mode"], f: (x1: Run, x2: Run) => number) => {
    const xs: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const x1 = runs.find((x) => x.key === k1 && x.mode === mode && x.round === r);
      const x2 = runs.find((x) => x.key === k2 && x.mode === mode && x.round === r);
      if (x1 && x2) xs.push(f(x1, x2));
    }
    return xs;
  };
  /** Per-round ratio of requests/s k1/k2 (paired within a round, so drift between rounds cancels). */
  const ratios = (k1: string, k2: string) => paired(k1, k2, "wrk", (x1, x2) => x1.result.rps / x2.result.rps);
  const added = (key: string, mode: Run["mode"], p: "p50" | "p99") =>
    paired(key, "a", mode, (x1, x2) => x1.result[p] - x2.result[p]);
  const rps = (x: Run) => x.result.rps;
  const cell = (xs: number[], f: (n: number) => string) => `${f(median(xs))}/${f(percentile(xs, 95))}`;

  const summary: Record<string, unknown> = {};
  const out: string[] = [""];
  out.push(
    `Router benchmark, saturation: wrk -t1 -c${CONNECTIONS}, ${DURATION_S} s per target per round, ${ROUNDS} rounds, interleaved`,
  );
  out.push(
    `Backend: ${IMAGE} (Debian nginx, 3-byte body), published on 127.0.0.1:${backendPort} (docker-proxy)`,
  );
  out.push("");
  out.push(
    `${"target".padEnd(50)} ${"req/s".padStart(7)} ${"min".padStart(6)}  ${"p50 ms".padStart(11)}  ${"p99 ms".padStart(13)}  ${"µs/req".padStart(6)}  ${"b/this".padStart(6)}`,
  );
  for (const [key, t] of targets) {
    const xs = of(key, "wrk");
    if (xs.length === 0) continue;
    const cpuPerReq = median(xs.map((x) => (x.cpu.proxyMs * 1000) / x.result.requests));
    const bRatio = key === "b" ? Number.NaN : median(ratios("b", key));
    summary[key] = {
      label: t.label,
      rps: stat(xs.map(rps)),
      p50Ms: stat(xs.map((x) => x.result.p50)),
      p99Ms: stat(xs.map((x) => x.result.p99)),
      errors: xs.reduce((n, x) => n + x.result.errors, 0),
      proxyCpuUsPerRequest: cpuPerReq,
      dockerProxyCpuUsPerRequest: median(xs.map((x) => (x.cpu.dockerProxyMs * 1000) / x.result.requests)),
      backendCpuUsPerRequest: median(xs.map((x) => (x.cpu.backendMs * 1000) / x.result.requests)),
      proxyCoreShare: median(xs.map((x) => x.cpu.proxyMs / x.wallMs)),
      ratioBToThis: bRatio,
    };
    out.push(
      `${`${key.padEnd(13)}${t.label}`.padEnd(50).slice(0, 50)} ${kilo(median(xs.map(rps))).padStart(7)} ${kilo(Math.min(...xs.map(rps))).padStart(6)}  ${cell(
        xs.map((x) => x.result.p50),
        f2,
      ).padStart(11)}  ${cell(
        xs.map((x) => x.result.p99),
        f1,
      ).padStart(13)}  ${(key === "a" ? "-" : f1(cpuPerReq)).padStart(6)}  ${f2(bRatio).padStart(6)}`,
    );
  }
  out.push("req/s: median over rounds, and the lowest round. p50, p99: median/p95 over rounds.");
  out.push("µs/req: CPU time of the proxy's own processes per request. b/this: median of per-round ratios.");

  out.push("");
  out.push(
    `Fixed rate: ${RATE_FRACTION} x the direct capacity (${Math.round(directCapacity)} req/s with wrk) = ${rate} req/s, ${RATE_DURATION_S} s per target per round`,
  );
  out.push(
    `  wrk paced: ${pacedConnections} connections, each waiting ${PACED_DELAY_MS} ms after an answer (the rate falls when answers slow down)`,
  );
  out.push(
    `  Node client (open loop, ${CONNECTIONS} keep-alive connections) at ${nodeRate} req/s; its own ceiling against the direct backend: ${Math.round(nodeCeiling.rps)} req/s` +
      (nodeRate !== rate ? ", too low for the 50% rate, so it runs at half its ceiling" : ""),
  );
  out.push(
    `${"target".padEnd(44)} ${"client".padEnd(10)} ${"req/s".padStart(6)}  ${"p50 ms".padStart(11)}  ${"p99 ms".padStart(13)}  ${"+p50 vs a".padStart(9)}  ${"+p99 vs a".padStart(9)}`,
  );
  const fixedSummary: Record<string, unknown> = {};
  for (const mode of ["wrk-paced", "node-fixed"] as const) {
    for (const key of rateKeys) {
      const t = targets.get(key) as Target;
      const xs = of(key, mode);
      const a50 = added(key, mode, "p50");
      const a99 = added(key, mode, "p99");
      fixedSummary[`${key}/${mode}`] = {
        offeredRps: mode === "wrk-paced" ? rate : nodeRate,
        achievedRps: stat(xs.map(rps)),
        p50Ms: stat(xs.map((x) => x.result.p50)),
        p99Ms: stat(xs.map((x) => x.result.p99)),
        addedP50Ms: key === "a" ? undefined : stat(a50),
        addedP99Ms: key === "a" ? undefined : stat(a99),
        errors: xs.reduce((n, x) => n + x.result.errors, 0),
        maxScheduleLagMs:
          mode === "node-fixed"
            ? Math.max(...xs.map((x) => (x.result as FixedRateResult).maxScheduleLagMs))
            : undefined,
      };
      out.push(
        `${`${key.padEnd(8)}${t.label}`.padEnd(44).slice(0, 44)} ${mode.padEnd(10)} ${kilo(median(xs.map(rps))).padStart(6)}  ${cell(
          xs.map((x) => x.result.p50),
          f2,
        ).padStart(11)}  ${cell(
          xs.map((x) => x.result.p99),
          f2,
        ).padStart(
          13,
        )}  ${(key === "a" ? "-" : f3(median(a50))).padStart(9)}  ${(key === "a" ? "-" : f3(median(a99))).padStart(9)}`,
      );
    }
  }
  out.push("+p50/+p99 vs a: median over rounds of (target - direct) in the same round, ms.");

  // Goals
  const best = ["c", "d", "e"]
    .map((k) => ({ k, rps: median(of(k, "wrk").map(rps)) }))
    .sort((x, y) => y.rps - x.rps)[0] as { k: string; rps: number };
  const ratioToBest = median(ratios("b", best.k));
  const canaryRatio = targets.has("b.canary") ? median(ratios("b.canary", "b")) : Number.NaN;
  const primary = nodeRate === rate ? "node-fixed" : "wrk-paced";
  const added50 = median(added("b", primary, "p50"));
  const added99 = median(added("b", primary, "p99"));
  const bPaced = median(of("b", "wrk-paced").map(rps));
  const aPaced = median(of("a", "wrk-paced").map(rps));
  const verdict = (ok: boolean) => (ok ? "MET" : "MISSED");
  const goals = {
    throughputVsBest: {
      best: best.k,
      ratio: ratioToBest,
      goal: GOALS.ratioToBest,
      met: ratioToBest >= GOALS.ratioToBest,
      bc: median(ratios("b", "c")),
      bd: median(ratios("b", "d")),
      be: median(ratios("b", "e")),
    },
    canaryCost: {
      ratio: canaryRatio,
      cost: 1 - canaryRatio,
      goal: GOALS.canaryCost,
      met: Number.isFinite(canaryRatio) ? 1 - canaryRatio <= GOALS.canaryCost : null,
      note: canaryNote || undefined,
    },
    addedLatency: {
      client: primary,
      rate,
      p50Ms: added50,
      p99Ms: added99,
      routerAchievedRps: bPaced,
      goalP50Ms: GOALS.addedP50Ms,
      goalP99Ms: GOALS.addedP99Ms,
      met: added50 <= GOALS.addedP50Ms && added99 <= GOALS.addedP99Ms,
      nodeClient: {
        rate: nodeRate,
        p50Ms: median(added("b", "node-fixed", "p50")),
        p99Ms: median(added("b", "node-fixed", "p99")),
      },
    },
    // When b skips docker-proxy: Berth's config on the same path as a, c, d and e.
    samePath: rateKeys.includes("c.berth")
      ? {
          ratioToBest: median(ratios("c.berth", best.k)),
          addedP50Ms: median(added("c.berth", primary, "p50")),
          addedP99Ms: median(added("c.berth", primary, "p99")),
        }
      : undefined,
  };
  out.push("");
  out.push("Goals");
  if (pathNote) out.push(`  note: ${pathNote}`);
  out.push(
    `  b >= ${GOALS.ratioToBest} x best of c,d,e (${best.k}): b/${best.k} = ${f3(ratioToBest)}  ${verdict(goals.throughputVsBest.met)}` +
      `   (b/c ${f3(goals.throughputVsBest.bc)}, b/d ${f3(goals.throughputVsBest.bd)}, b/e ${f3(goals.throughputVsBest.be)})`,
  );
  out.push(
    Number.isFinite(canaryRatio)
      ? `  canary rules cost <= ${GOALS.canaryCost * 100}%: canary/none = ${f3(canaryRatio)} (cost ${f1((1 - canaryRatio) * 100)}%)  ${verdict(goals.canaryCost.met === true)}`
      : `  canary rules cost <= ${GOALS.canaryCost * 100}%: NOT MEASURED (${canaryNote})`,
  );
  out.push(
    `  added latency at ${RATE_FRACTION * 100}% load (${rate} req/s, ${primary}) <= ${GOALS.addedP50Ms} ms p50, <= ${GOALS.addedP99Ms} ms p99: ` +
      `+${f3(added50)} ms p50, +${f3(added99)} ms p99  ${verdict(goals.addedLatency.met)}` +
      (bPaced < aPaced * 0.9
        ? `   (b carried ${Math.round(bPaced)} req/s, direct ${Math.round(aPaced)}, of ${rate} offered)`
        : ""),
  );
  out.push(
    `      Node client at ${nodeRate} req/s: +${f3(goals.addedLatency.nodeClient.p50Ms)} ms p50, +${f3(goals.addedLatency.nodeClient.p99Ms)} ms p99`,
  );
  const same = goals.samePath;
  if (same) {
    out.push(
      `  same path as c,d,e (c.berth): c.berth/${best.k} = ${f3(same.ratioToBest)}  ${verdict(same.ratioToBest >= GOALS.ratioToBest)};` +
        ` added latency +${f3(same.addedP50Ms)} ms p50, +${f3(same.addedP99Ms)} ms p99  ${verdict(same.addedP50Ms <= GOALS.addedP50Ms && same.addedP99Ms <= GOALS.addedP99Ms)}`,
    );
  }
  out.push(
    `(waited ${Math.round(settledS)} s in all for TIME_WAIT sockets toward the backend to drain between runs)`,
  );
  const loads = runs.map((x) => x.loadAvg);
  out.push(
    `(1-minute load average over the runs: median ${f1(median(loads))}, max ${f1(Math.max(...loads))}, on 2 cores; above ~3 other work shared them)`,
  );
  console.log(out.join("\n"));

  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `router-${new Date().toISOString().replaceAll(":", "-")}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        settings: {
          ROUNDS,
          DURATION_S,
          CONNECTIONS,
          RATE_DURATION_S,
          RATE_FRACTION,
          CANARY_WEIGHT,
          PACED_DELAY_MS,
        },
        versions,
        backend: { image: IMAGE, hostPort: backendPort, containerAddresses: backendIps },
        berthUpstreams,
        pathNote: pathNote || undefined,
        targets: Object.fromEntries([...targets].map(([k, t]) => [k, t.label])),
        canary: {
          available: canaryAvailable,
          args: canaryArgs,
          status: canaryStatus,
          note: canaryNote || undefined,
        },
        nodeClientCeiling: nodeCeiling,
        nodeRate,
        pacedConnections,
        settledS,
        directCapacity,
        fixedRate: rate,
        saturation: summary,
        fixed: fixedSummary,
        goals,
        berthRouterConfig: berthConfig,
        runs,
      },
      null,
      2,
    ),
  );
  console.log(`\nresults: ${file}`);
}

void main()
  .then(
    () => cleanup(),
    async (error) => {
      console.error(error);
      await cleanup();
      process.exitCode = 1;
    },
  )
  .then(() => process.exit());
