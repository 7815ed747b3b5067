import { rmSync } from "node:fs";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { busyboxApp } from "../support/app-fixture.js";
import { BerthProcess } from "../support/berth-process.js";
import { getViaRouter, trafficLoop } from "../support/http-via-router.js";

/**
 * The README's journey through the real CLI, a real dockerd, a real nginx and a real SQLite
 * file: log in, create, deploy, scale, roll forward and back, break things, recover.
 */
describe("berth CLI end to end", () => {
  const tenant = `e2e${Date.now().toString(36)}`;
  const host = `web.dev.${tenant}.localhost`;
  const apps: string[] = [];
  let berth: BerthProcess;
  const docker = new Docker();

  const get = () => getViaRouter(berth.routerPort, host);
  const ps = async () =>
    JSON.parse(await berth.ok(["ps", "web", "--json"])) as {
      id: string;
      release: number;
      state: string;
      health: string;
      serving: boolean;
    }[];
  const waitFor = async <T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await check().catch(() => undefined);
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  beforeAll(async () => {
    berth = await BerthProcess.start({ drainMs: 300 });
    for (const v of ["v1", "v2", "v3"]) apps.push(busyboxApp(v));
    apps.push(busyboxApp("sick", { healthy: false }));
  });

  afterAll(async () => {
    await berth?.destroy();
    for (const dir of apps) rmSync(dir, { recursive: true, force: true });
  });

  it("logs in with the admin token and remembers tenant and env", async () => {
    const bad = await berth.cli(["login", berth.url, "--token", "berth_wrong"], { login: false });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/missing, expired or revoked API token/);
    const ok = await berth.cli(["login", berth.url, "--token", berth.token], { login: false });
    expect(ok.code, ok.stderr).toBe(0);
    const listed = await berth.cli(["tenant", "list", "--json"], { login: false });
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([]);

    await berth.ok(["tenant", "create", tenant]);
    await berth.ok(["env", "create", "dev", "--tenant", tenant]);
    await berth.ok(["use", "--tenant", tenant, "--env", "dev"]);
    await berth.ok(["app", "create", "web"]);
    expect(JSON.parse(await berth.ok(["app", "list", "--json"]))).toMatchObject([{ name: "web", tenant }]);
  });

  it("rejects bad input with one clear sentence and changes nothing", async () => {
    const badName = await berth.cli(["app", "create", "Bad_Name"]);
    expect(badName.code).toBe(1);
    expect(badName.stderr.trim()).toMatch(/^berth: name: app must be a DNS label/);
    const noEnv = await berth.cli(["deploy", "web", "--env", "nope", "--image", "berth/busybox:latest"]);
    expect(noEnv.code).toBe(1);
    expect(noEnv.stderr).toMatch(/environment 'nope' does not exist/);
    const noImage = await berth.cli(["deploy", "web", "--image", "no/such-image:1"]);
    expect(noImage.code).toBe(1);
    expect(noImage.stderr).toMatch(/image 'no\/such-image:1' is not on this host/);
    const both = await berth.cli(["deploy", "web"]);
    expect(both.stderr).toMatch(/exactly one of --image REF or --path DIR/);
    expect(JSON.parse(await berth.ok(["app", "list", "--json"]))).toHaveLength(1);
    expect(JSON.parse(await berth.ok(["releases", "web", "--json"]))).toEqual([]);
  });

  it("builds from --path, streams the build log, and serves the app through the router", async () => {
    const out = await berth.ok(["deploy", "web", "--path", apps[0] as string, "--health-path", "/healthz"]);
    expect(out).toMatch(/Step 1\/\d+ : FROM berth\/busybox:latest/);
    expect(out).toMatch(/router switched to release 1/);
    expect(out).toMatch(
      new RegExp(`release 1 is live at http://${host.replace(/\./g, "\\.")}:${berth.routerPort}/`),
    );
    expect(await get()).toEqual({ status: 200, body: "v1\n" });
    expect((await berth.ok(["url", "web"])).trim()).toBe(`http://${host}:${berth.routerPort}/`);
    const logs = await berth.ok(["logs", "web", "--tail", "10"]);
    expect(logs).toMatch(/^r1\.0 \| booted v1$/m);
  });

  it("scales to three replicas that all serve", async () => {
    await berth.ok(["scale", "web", "--replicas", "3"]);
    const rows = await waitFor(
      "3 healthy serving replicas",
      async () => {
        const r = await ps();
        return r.length === 3 && r.every((c) => c.health === "healthy" && c.serving) ? r : undefined;
      },
      15_000,
    );
    expect(new Set(rows.map((r) => r.id)).size).toBe(3);
    const table = await berth.ok(["ps", "web"]);
    expect(table.split("\n")[0]).toMatch(/^ID\s+RELEASE\s+REPLICA\s+NODE\s+STATE\s+HEALTH\s+PORT/);
    expect(table).toMatch(/127\.0\.0\.1:\d+/);
  });

  it("rolls out a new release with zero failed requests", async () => {
    const v2Image = await buildImage(berth, apps[1] as string);
    const traffic = trafficLoop(berth.routerPort, host);
    const out = await berth.ok(["deploy", "web", "--image", v2Image]);
    await new Promise((r) => setTimeout(r, 300));
    const result = await traffic.stop();
    report("rolling update", result);
    expect(out).toMatch(/release 2 is serving with 3 replica\(s\)/);
    expect(result.failures).toEqual([]);
    expect(result.sent).toBeGreaterThan(20);
    expect(result.bodies.get("v2")).toBeGreaterThan(0);
    expect(await get()).toEqual({ status: 200, body: "v2\n" });
    const rows = await ps();
    expect(rows.map((r) => r.release)).toEqual([2, 2, 2]);
  });

  it("refuses to switch to a release that never becomes healthy, and the old one keeps serving", async () => {
    const sickImage = await buildImage(berth, apps[3] as string);
    const traffic = trafficLoop(berth.routerPort, host);
    const r = await berth.cli(["deploy", "web", "--image", sickImage, "--health-timeout", "3"]);
    const result = await traffic.stop();
    report("failed rollout", result);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(
      /^berth: deploy failed: 3 of 3 containers of release 3 did not answer GET :8080\/healthz within 3s \(3 running but unhealthy\); release 2 keeps serving; see 'berth logs web --env dev'$/,
    );
    expect(result.failures).toEqual([]);
    expect([...result.bodies.keys()]).toEqual(["v2"]);
    const rows = await waitFor(
      "the failed release's containers to go",
      async () => {
        const r = await ps();
        return r.every((c) => c.release === 2) ? r : undefined;
      },
      10_000,
    );
    expect(rows).toHaveLength(3);
    const info = JSON.parse(await berth.ok(["app", "info", "web", "--json"]));
    expect(info.deployments[0]).toMatchObject({ env: "dev", release: 2, servingRelease: 2, phase: "failed" });
  });

  it("rolls back to an earlier release as a new release, with zero failed requests", async () => {
    const traffic = trafficLoop(berth.routerPort, host);
    const out = await berth.ok(["rollback", "web", "--to", "1"]);
    const result = await traffic.stop();
    report("rollback", result);
    expect(out).toMatch(/release 4 is serving/);
    expect(result.failures).toEqual([]);
    expect(await get()).toEqual({ status: 200, body: "v1\n" });
    const releases = JSON.parse(await berth.ok(["releases", "web", "--json"]));
    expect(releases.map((r: { number: number }) => r.number)).toEqual([4, 3, 2, 1]);
    expect(releases[0]).toMatchObject({
      source: "rollback",
      rolledBackFrom: 1,
      imageId: releases[3].imageId,
    });
    const table = await berth.ok(["releases", "web"]);
    expect(table).toMatch(/^4\s.*rollback of 1.*serving$/m);
  });

  it("replaces a container removed with docker rm -f within 5 s", async () => {
    const before = await ps();
    const victim = before[0]?.id as string;
    const started = Date.now();
    await docker.getContainer(victim).remove({ force: true });
    const rows = await waitFor(
      "a healthy replacement",
      async () => {
        const r = await ps();
        return r.length === 3 &&
          !r.some((c) => c.id === victim) &&
          r.every((c) => c.health === "healthy" && c.serving)
          ? r
          : undefined;
      },
      5_000,
    );
    const elapsed = Date.now() - started;
    console.info(`docker rm -f: a healthy replacement served after ${elapsed} ms`);
    expect(elapsed).toBeLessThan(5_000);
    expect(rows.every((c) => c.release === 4)).toBe(true);
    expect((await get()).status).toBe(200);
  });

  it("recovers a container whose process crashes within 5 s, without failed requests", async () => {
    const before = await ps();
    const victim = before[0]?.id as string;
    const { State } = await docker.getContainer(victim).inspect();
    const traffic = trafficLoop(berth.routerPort, host);
    const started = Date.now();
    // SIGKILL the container's init from the host: a crash, not a stop, so Docker's restart
    // policy applies and the container comes back on a new host port.
    process.kill(State.Pid, "SIGKILL");
    await waitFor(
      "the crashed container to serve again",
      async () => {
        const r = await ps();
        const back = r.find((c) => c.id === victim);
        return r.length === 3 && back?.health === "healthy" && back.serving && r.every((c) => c.serving)
          ? r
          : undefined;
      },
      5_000,
    );
    const elapsed = Date.now() - started;
    console.info(`process crash: the restarted container served again after ${elapsed} ms`);
    const result = await traffic.stop();
    report("container crash", result);
    expect(elapsed).toBeLessThan(5_000);
    expect(result.failures).toEqual([]);
    const after = await docker.getContainer(victim).inspect();
    expect(after.RestartCount).toBe(1);
  });

  it("keeps serving while the server is down, and converges after a SIGKILL mid-deploy", async () => {
    const v3Image = await buildImage(berth, apps[2] as string);
    const deploy = await berth.ok(["deploy", "web", "--image", v3Image, "--no-wait"]);
    expect(deploy).toMatch(/Release 5 of web in dev: rolling out/);
    // Kill as soon as the rollout has begun to start containers: mid-deploy.
    await waitFor(
      "the first container of release 5",
      async () => ((await ps()).some((c) => c.release === 5) ? true : undefined),
      10_000,
    );
    await berth.kill("SIGKILL");

    const whileDown = await get();
    expect(whileDown.status).toBe(200);
    expect(["v1\n", "v3\n"]).toContain(whileDown.body);

    await berth.launch();
    await waitFor(
      "release 5 to serve after the restart",
      async () => {
        const d = JSON.parse(await berth.ok(["app", "info", "web", "--json"])).deployments[0];
        return d.phase === "serving" && d.servingRelease === 5 ? d : undefined;
      },
      30_000,
    );
    expect(await get()).toEqual({ status: 200, body: "v3\n" });
    const rows = await waitFor(
      "only release 5's three containers",
      async () => {
        const r = await ps();
        return r.length === 3 && r.every((c) => c.release === 5) ? r : undefined;
      },
      10_000,
    );
    expect(new Set(rows.map((r) => r.id)).size).toBe(3);
    const all = await docker.listContainers({ all: true, filters: { label: [`berth.tenant=${tenant}`] } });
    expect(all).toHaveLength(3);
    expect(all.every((c) => c.State === "running")).toBe(true);
  });

  it("deletes the app, its containers and then the tenant", async () => {
    const inUse = await berth.cli(["tenant", "delete", tenant]);
    expect(inUse.code).toBe(1);
    expect(inUse.stderr).toMatch(/still has 1 app\(s\) \(web\); delete them first/);
    await berth.ok(["app", "delete", "web"]);
    await waitFor(
      "containers to be removed",
      async () => {
        const all = await docker.listContainers({
          all: true,
          filters: { label: [`berth.tenant=${tenant}`] },
        });
        return all.length === 0 ? true : undefined;
      },
      15_000,
    );
    const gone = await get();
    expect(gone.status).toBe(404);
    await berth.ok(["env", "delete", "dev"]);
    await berth.ok(["tenant", "delete", tenant]);
    expect(JSON.parse(await berth.ok(["tenant", "list", "--json"]))).toEqual([]);
  });
});

/** Figures for the closing note: how much traffic each step carried, and how much of it failed. */
function report(step: string, result: { sent: number; failures: string[] }) {
  console.info(`${step}: ${result.sent} requests through the router, ${result.failures.length} failed`);
}

/** Builds an image through Berth (as `deploy --path` does) without deploying it. */
async function buildImage(berth: BerthProcess, dir: string): Promise<string> {
  const before = JSON.parse(await berth.ok(["releases", "web", "--json"])) as unknown[];
  const { packContext } = await import("../../src/cli/pack-context.js");
  const { ApiClient } = await import("../../src/cli/api-client.js");
  const client = new ApiClient(berth.url, berth.token);
  let image = "";
  const tenant = JSON.parse(await berth.ok(["tenant", "list", "--json"]))[0].name as string;
  await client.build(tenant, "web", packContext(dir), (line) => {
    if (line.type === "result") image = line.image;
    if (line.type === "error") throw new Error(line.message);
  });
  expect(JSON.parse(await berth.ok(["releases", "web", "--json"]))).toHaveLength(before.length);
  return image;
}
