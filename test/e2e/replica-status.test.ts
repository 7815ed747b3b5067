import { readFileSync } from "node:fs";
import { join } from "node:path";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { busyboxApp } from "../support/app-fixture.js";
import { BerthProcess } from "../support/berth-process.js";
import { getViaRouter } from "../support/http-via-router.js";

interface Row {
  id: string;
  release: number;
  slot: number;
  state: string;
  health: string;
  serving: boolean;
  lastProbeAt: string | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms} ms`);
    await sleep(200);
  }
}

/**
 * Status apart from spec, as a user sees it: `berth ps` reads what the reconciler recorded (it
 * never probes on a read), and continuous health takes a hung replica out of the router and
 * replaces it; status stays right after a crash, a failed rollout and a server restart.
 */
describe("replica status and continuous health", () => {
  let berth: BerthProcess;
  const docker = new Docker();
  const host = "web.dev.acme.localhost";
  const stopped: number[] = [];

  const ps = async (): Promise<Row[]> => JSON.parse(await berth.ok(["ps", "web", "--json"]));
  /** The host PIDs of the app's own process (busybox httpd) inside a container. */
  const httpdPids = async (id: string): Promise<number[]> => {
    const full = (await docker.listContainers({ all: true })).find((c) => c.Id.startsWith(id))?.Id as string;
    const top = (await docker.getContainer(full).top()) as { Titles: string[]; Processes: string[][] };
    const pid = top.Titles.indexOf("PID");
    const cmd = top.Titles.indexOf("CMD") >= 0 ? top.Titles.indexOf("CMD") : top.Titles.length - 1;
    return top.Processes.filter((p) => /httpd/.test(p[cmd] ?? "")).map((p) => Number(p[pid]));
  };

  beforeAll(async () => {
    berth = await BerthProcess.start({ drainMs: 200, healthPeriodSeconds: 2 });
    await berth.ok(["tenant", "create", "acme"]);
    await berth.ok(["env", "create", "dev", "--tenant", "acme"]);
    await berth.ok(["app", "create", "web", "--tenant", "acme"]);
    await berth.ok(["use", "--tenant", "acme", "--env", "dev"]);
    await berth.ok([
      "deploy",
      "web",
      "--path",
      busyboxApp("v1"),
      "--replicas",
      "2",
      "--health-path",
      "/healthz",
    ]);
  });
  afterAll(async () => {
    for (const pid of stopped) {
      try {
        process.kill(pid, "SIGCONT");
      } catch {
        // gone with its container
      }
    }
    await berth?.destroy();
  });

  it("ps reads the recorded status: every replica healthy, with the time of its last probe", async () => {
    const rows = await ps();
    expect(rows.map((r) => [r.release, r.slot, r.state, r.health, r.serving])).toEqual([
      [1, 0, "running", "healthy", true],
      [1, 1, "running", "healthy", true],
    ]);
    for (const r of rows) expect(Date.now() - Date.parse(r.lastProbeAt ?? "")).toBeLessThan(10_000);
    // The monitor probes every period (2 s here): the recorded probe moves on by itself.
    const before = rows[0]?.lastProbeAt as string;
    await waitFor("a newer probe", 5_000, async () => {
      const now = (await ps())[0]?.lastProbeAt;
      return now && now > before ? now : undefined;
    });
  });

  it("a hung replica (running, not answering) leaves the router, shows unhealthy, and is replaced", async () => {
    const [first, second] = await ps();
    const pids = await httpdPids(second?.id as string);
    expect(pids.length).toBeGreaterThan(0);
    for (const pid of pids) {
      process.kill(pid, "SIGSTOP");
      stopped.push(pid);
    }
    const sick = await waitFor("the hung replica marked unhealthy and unrouted", 30_000, async () => {
      const r = (await ps()).find((x) => x.id === second?.id);
      return r && r.health === "unhealthy" && !r.serving ? r : undefined;
    });
    expect(sick.state).toBe("running");
    // The status says "not serving" once the endpoints are committed; nginx goes live with that
    // a reload later. Wait for a live generation rendered without the hung replica's addresses.
    const full = (await docker.listContainers()).find((c) => c.Id.startsWith(second?.id as string))
      ?.Id as string;
    const networks = (await docker.getContainer(full).inspect()).NetworkSettings.Networks;
    const ips = Object.values(networks)
      .map((n) => n.IPAddress)
      .filter((ip) => ip !== "");
    expect(ips.length).toBeGreaterThan(0);
    const generation = await waitFor("a router config without the hung replica", 10_000, async () => {
      const text = readFileSync(join(berth.dataDir, "router/nginx.conf"), "utf8");
      if (ips.some((ip) => text.includes(`server ${ip}:`))) return undefined;
      return Number(/# generation (\d+)/.exec(text)?.[1]);
    });
    await waitFor(`router generation ${generation} live`, 10_000, async () =>
      [...berth.log().matchAll(/router: generation (\d+) live/g)].some((m) => Number(m[1]) >= generation)
        ? true
        : undefined,
    );
    // Only the healthy replica answers now: no request reaches the hung one.
    for (let i = 0; i < 20; i++)
      expect(await getViaRouter(berth.routerPort, host)).toEqual({ status: 200, body: "v1\n" });
    // Unhealthy for three periods: replaced in its slot by a new, healthy replica.
    const rows = await waitFor("the hung replica replaced", 60_000, async () => {
      const r = await ps();
      return r.length === 2 &&
        r.every((x) => x.health === "healthy" && x.serving) &&
        !r.some((x) => x.id === second?.id)
        ? r
        : undefined;
    });
    expect(rows.map((r) => r.slot)).toEqual([0, 1]);
    expect(rows.find((r) => r.slot === 0)?.id).toBe(first?.id);
    const events = await berth.ok(["events", "web"]);
    expect(events).toMatch(/failed its health check for \d+s while serving; a new replica replaces it/);
  });

  it("a crashed replica's status follows its replacement", async () => {
    const [victim] = await ps();
    const full = (await docker.listContainers()).find((c) => c.Id.startsWith(victim?.id as string))
      ?.Id as string;
    await docker.getContainer(full).remove({ force: true });
    const rows = await waitFor("the crashed replica replaced", 20_000, async () => {
      const r = await ps();
      return r.length === 2 && r.every((x) => x.health === "healthy") && !r.some((x) => x.id === victim?.id)
        ? r
        : undefined;
    });
    expect(rows.map((r) => r.slot)).toEqual([0, 1]);
  });

  it("a failed rollout is status: the old replicas keep serving and the deployment says why", async () => {
    const r = await berth.cli([
      "deploy",
      "web",
      "--path",
      busyboxApp("v2", { healthy: false }),
      "--health-timeout",
      "3",
    ]);
    expect(r.code).toBe(1);
    const rows = await waitFor("only release 1 left", 10_000, async () => {
      const x = await ps();
      return x.every((c) => c.release === 1) ? x : undefined;
    });
    expect(rows.map((c) => [c.release, c.health, c.serving])).toEqual([
      [1, "healthy", true],
      [1, "healthy", true],
    ]);
    const info = JSON.parse(await berth.ok(["app", "info", "web", "--json"]));
    expect(info.deployments[0]).toMatchObject({ servingRelease: 1, phase: "failed" });
    expect(info.deployments[0].message).toMatch(/did not answer GET :8080\/healthz within 3s/);
  });

  it("after a server restart, ps answers from the recorded status at once and the monitor goes on", async () => {
    const before = await ps();
    await berth.kill("SIGKILL");
    await berth.launch();
    expect((await ps()).map((r) => r.id)).toEqual(before.map((r) => r.id));
    const latest = before.map((r) => r.lastProbeAt ?? "").sort()[1] as string;
    await waitFor("probes after the restart", 10_000, async () => {
      const rows = await ps();
      return rows.every((r) => (r.lastProbeAt ?? "") > latest && r.health === "healthy") ? rows : undefined;
    });
  });
});
