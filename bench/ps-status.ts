/**
 * `berth ps` on an app with 20 replicas: before (the server probed every container on each call)
 * against after (it reads the status the reconciler recorded). "Before" is the real thing: the
 * commit before this change (BASE, default c3a81fc), checked out as a git worktree in a cache
 * outside the repository, built once, and run beside the current server on the same dockerd,
 * with the same app. Calls alternate between the two. Prints median and p95 and the ratio.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { Agent, request } from "node:http";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { busyboxApp } from "../test/support/app-fixture.js";
import { BERTH_BIN, REPO, removeInstanceWorkloads } from "../test/support/berth-process.js";
import { freePort } from "../test/support/free-port.js";
import { median, percentile } from "./stats.js";

const BASE = process.env.BASE ?? "c3a81fc";
const RUNS = Number(process.env.RUNS ?? 30);
const REPLICAS = Number(process.env.REPLICAS ?? 20);
const cache = join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "berth");

/** The BASE commit, checked out and built once (npm ci, build) under the cache. */
function beforeCheckout(): string {
  const sha = execFileSync("git", ["-C", REPO, "rev-parse", BASE], { encoding: "utf8" }).trim();
  const dir = join(cache, `bench-before-${sha.slice(0, 12)}`);
  if (!existsSync(join(dir, "dist", "berth.js"))) {
    console.log(`building ${BASE} (${sha.slice(0, 12)}) in ${dir} (once)...`);
    if (!existsSync(dir))
      execFileSync("git", ["-C", REPO, "worktree", "add", "--detach", dir, sha], { stdio: "inherit" });
    execFileSync("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], {
      cwd: dir,
      stdio: "inherit",
    });
    execFileSync("npm", ["run", "-s", "build"], { cwd: dir, stdio: "inherit" });
  }
  return join(dir, "bin", "berth");
}

interface Server {
  name: string;
  bin: string;
  dataDir: string;
  apiPort: number;
  token: string;
  child: ChildProcess;
}

async function startServer(name: string, bin: string): Promise<Server> {
  const dataDir = mkdtempSync(join(tmpdir(), `berth-bench-${name}-`));
  const [apiPort, routerPort, httpsPort] = [await freePort(), await freePort(), await freePort()];
  const child = spawn(
    process.execPath,
    [bin, "server", "--data-dir", dataDir, "--listen", `127.0.0.1:${apiPort}`, "--router-host", "127.0.0.1"]
      .concat(["--router-port", String(routerPort), "--router-https-port", String(httpsPort)])
      .concat(["--resync-seconds", "3600"]),
    { stdio: "ignore" },
  );
  for (let i = 0; i < 200; i++) {
    const ok = await fetch(`http://127.0.0.1:${apiPort}/api/v1/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const token = readFileSync(join(dataDir, "admin-token"), "utf8").trim();
  return { name, bin, dataDir, apiPort, token, child };
}

function cli(s: Server, args: string[]): string {
  return execFileSync(process.execPath, [s.bin, ...args], {
    encoding: "utf8",
    env: { ...process.env, BERTH_URL: `http://127.0.0.1:${s.apiPort}`, BERTH_TOKEN: s.token },
  });
}

const agent = new Agent({ keepAlive: true, maxSockets: 1 });
function timedPs(s: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request(
      {
        host: "127.0.0.1",
        port: s.apiPort,
        path: "/api/v1/tenants/bench/envs/dev/apps/web/containers",
        agent,
        headers: { authorization: `Bearer ${s.token}` },
      },
      (res) => {
        let body = "";
        res.on("data", (c) => {
          body += c;
        });
        res.on("end", () => {
          const rows = JSON.parse(body) as { health: string }[];
          if (res.statusCode !== 200 || rows.length !== REPLICAS)
            reject(new Error(`${s.name}: ${res.statusCode} with ${rows.length} rows`));
          else resolve(performance.now() - t0);
        });
      },
    );
    req.on("error", reject);
    req.end();
  });
}

async function stop(s: Server) {
  s.child.kill("SIGTERM");
  await new Promise((r) => setTimeout(r, 500));
  await removeInstanceWorkloads(s.dataDir);
  try {
    process.kill(Number(readFileSync(join(s.dataDir, "router/nginx.pid"), "utf8")), "SIGQUIT");
  } catch {
    // no nginx
  }
  rmSync(s.dataDir, { recursive: true, force: true });
}

async function main() {
  const servers = [await startServer("before", beforeCheckout()), await startServer("after", BERTH_BIN)];
  const app = busyboxApp("ps");
  try {
    for (const s of servers) {
      cli(s, ["tenant", "create", "bench"]);
      cli(s, ["env", "create", "dev", "--tenant", "bench"]);
      cli(s, ["app", "create", "web", "--tenant", "bench"]);
      cli(s, ["deploy", "web", "--tenant", "bench", "--env", "dev", "--path", app]);
      cli(s, ["scale", "web", "--tenant", "bench", "--env", "dev", "--replicas", String(REPLICAS)]);
    }
    // Let both settle: every replica running, healthy and recorded.
    for (const s of servers) {
      const deadline = Date.now() + 120_000;
      for (;;) {
        const rows = JSON.parse(cli(s, ["ps", "web", "--tenant", "bench", "--env", "dev", "--json"])) as {
          health: string;
        }[];
        if (rows.length === REPLICAS && rows.every((r) => r.health === "healthy")) break;
        if (Date.now() > deadline)
          throw new Error(`${s.name}: ${rows.length} replicas did not all turn healthy`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    const times: Record<string, number[]> = { before: [], after: [] };
    for (let i = 0; i < 3; i++) for (const s of servers) await timedPs(s);
    for (let i = 0; i < RUNS; i++)
      for (const s of i % 2 === 0 ? servers : [...servers].reverse()) times[s.name]?.push(await timedPs(s));
    const before = times.before as number[];
    const after = times.after as number[];
    const line = (name: string, t: number[]) =>
      `${name.padEnd(28)} median ${median(t).toFixed(1)} ms   p95 ${percentile(t, 95).toFixed(1)} ms`;
    console.log(`berth ps of an app with ${REPLICAS} replicas, ${RUNS} calls each, alternating:`);
    console.log(line(`before (${BASE}, probing)`, before));
    console.log(line("after (reading status)", after));
    console.log(
      `ratio after/before: median ${(median(after) / median(before)).toFixed(3)}, p95 ${(percentile(after, 95) / percentile(before, 95)).toFixed(3)}`,
    );
  } finally {
    for (const s of servers) await stop(s);
    rmSync(app, { recursive: true, force: true });
  }
}

await main();
