/**
 * Idle cost: with N small apps deployed (default 200), the CPU the idle Berth server uses over
 * 60 s, read from /proc (utime + stime). Goal: <= 2% of one core. The same is read for an idle
 * server with no apps, side by side, as the baseline; nginx's CPU is shown for information.
 */
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { busyboxApp } from "../test/support/app-fixture.js";
import { BerthProcess } from "../test/support/berth-process.js";

const APPS = Number(process.env.APPS ?? 200);
const WINDOW_S = Number(process.env.WINDOW_S ?? 60);
const TICKS = 100; // USER_HZ on Linux

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}

function nginxPids(dataDir: string): number[] {
  const master = Number(readFileSync(join(dataDir, "router/nginx.pid"), "utf8").trim());
  const children = readFileSync(`/proc/${master}/task/${master}/children`, "utf8")
    .trim()
    .split(/\s+/)
    .filter(Boolean);
  return [master, ...children.map(Number)];
}

async function measure(pids: number[], seconds: number): Promise<number> {
  const before = pids.map(cpuSeconds);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const after = pids.map(cpuSeconds);
  return after.reduce((sum, a, i) => sum + a - (before[i] ?? 0), 0);
}

async function main() {
  const RESYNC_S = Number(process.env.RESYNC_S ?? 60);
  const loaded = await BerthProcess.start({ drainMs: 0, resyncSeconds: RESYNC_S });
  const empty = await BerthProcess.start({ drainMs: 0, resyncSeconds: RESYNC_S });
  try {
    await loaded.ok(["tenant", "create", "idle"]);
    await loaded.ok(["env", "create", "dev", "--tenant", "idle"]);
    await loaded.ok(["app", "create", "seed", "--tenant", "idle"]);
    const fixture = busyboxApp("idle");
    await loaded.ok([
      "deploy",
      "seed",
      "--tenant",
      "idle",
      "--env",
      "dev",
      "--path",
      fixture,
      "--health-path",
      "/healthz",
    ]);
    rmSync(fixture, { recursive: true, force: true });
    const image = (
      JSON.parse(await loaded.ok(["releases", "seed", "--tenant", "idle", "--env", "dev", "--json"])) as {
        image: string;
      }[]
    )[0]?.image as string;
    const api = async (path: string, body: unknown) => {
      const res = await fetch(`${loaded.url}/api/v1${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${loaded.token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    };
    const started = Date.now();
    for (let i = 1; i < APPS; i++) {
      await api("/tenants/idle/apps", { name: `app${i}` });
      await api(`/tenants/idle/envs/dev/apps/app${i}/deploy`, { image, healthPath: "/healthz" });
    }
    // Wait until every app serves, then for the rollout passes to settle.
    for (;;) {
      const res = await fetch(`${loaded.url}/api/v1/tenants/idle/apps`, {
        headers: { authorization: `Bearer ${loaded.token}` },
      });
      const apps = (await res.json()) as { name: string }[];
      let serving = 0;
      for (const a of apps) {
        const info = await (
          await fetch(`${loaded.url}/api/v1/tenants/idle/apps/${a.name}`, {
            headers: { authorization: `Bearer ${loaded.token}` },
          })
        ).json();
        if (info.deployments[0]?.phase === "serving") serving++;
      }
      process.stderr.write(
        `\r${serving}/${APPS} apps serving after ${Math.round((Date.now() - started) / 1000)} s   `,
      );
      if (serving === APPS) break;
      await new Promise((r) => setTimeout(r, 2000));
    }
    process.stderr.write("\n");
    await new Promise((r) => setTimeout(r, 5000));

    const [loadedCpu, emptyCpu, nginxCpu] = await Promise.all([
      measure([loaded.pid as number], WINDOW_S),
      measure([empty.pid as number], WINDOW_S),
      measure(nginxPids(loaded.dataDir), WINDOW_S),
    ]);
    const pct = (cpu: number) => `${((cpu / WINDOW_S) * 100).toFixed(2)}% of one core`;
    console.log(
      `\nIdle cost over ${WINDOW_S} s (full resync every ${RESYNC_S} s; the server's default is 60 s)`,
    );
    console.log(
      `berth server, ${APPS} apps deployed:   ${loadedCpu.toFixed(2)} s CPU = ${pct(loadedCpu)}   (goal <= 2%)`,
    );
    console.log(`berth server, no apps (baseline):  ${emptyCpu.toFixed(2)} s CPU = ${pct(emptyCpu)}`);
    console.log(`nginx (master + worker), ${APPS} apps: ${nginxCpu.toFixed(2)} s CPU = ${pct(nginxCpu)}`);
  } finally {
    await loaded.destroy();
    await empty.destroy();
  }
}

void main().catch((error) => {
  console.error(error);
  process.exit(1);
});
