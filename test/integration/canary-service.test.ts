import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CanaryStartRequest } from "../../src/domain/canary.js";
import { CanaryService } from "../../src/services/canary-service.js";
import { DeployService } from "../../src/services/deploy-service.js";
import type { TrafficWindow } from "../../src/services/ports.js";
import { RolloutController } from "../../src/services/rollout-controller.js";
import { openSqliteStore } from "../../src/store/open-sqlite-store.js";
import type { Store } from "../../src/store/store.js";
import { testReleases } from "../support/release-maker.js";

const window = (w: Partial<TrafficWindow> = {}): TrafficWindow => ({
  requests: 100,
  rps: 10,
  errors5xx: 0,
  errorRate: 0,
  p50Ms: 2,
  p99Ms: 20,
  ruleCounts: { weight: 100 },
  ...w,
});

/**
 * CanaryService and RolloutController on a real SQLite file; the image lookup, enqueuer,
 * router refresher and traffic figures are stand-ins (the e2e suite runs the real ones).
 */
describe("CanaryService", () => {
  let dir: string;
  let store: Store;
  let canaries: CanaryService;
  let deploys: DeployService;
  let publishes = 0;
  let traffic = window();
  let clock = Date.parse("2026-01-01T00:00:00Z");
  const now = () => new Date(clock);
  let ids: { app: number; env: number };
  const start = (body: unknown) => canaries.start("acme", "dev", "web", CanaryStartRequest.parse(body));

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "berth-canary-"));
    store = await openSqliteStore(join(dir, "berth.db"));
    const images = {
      inspectImage: async (ref: string) =>
        ref.startsWith("web:")
          ? { id: `sha256:${ref.slice(4).padStart(64, "0")}`, exposedPorts: [9000], tenant: null }
          : null,
    };
    const enqueuer = { enqueue: () => undefined };
    const router = {
      publish: async () => {
        publishes++;
      },
    };
    const metrics = { stats: async () => traffic };
    const { releases } = testReleases(dir);
    canaries = new CanaryService(store, images, enqueuer, router, metrics, releases, now);
    deploys = new DeployService(store, images, enqueuer, { domain: "localhost", routerPort: 8080 }, releases);
    const tenant = await store.tenants.create("acme");
    const env = await store.environments.create(tenant.id, "dev");
    const app = await store.apps.create(tenant.id, "web");
    ids = { app: app.id, env: env.id };
    publishes = 0;
    traffic = window();
    // Release 1 serves with 2 replicas, as the reconciler leaves it after a deploy.
    await deploys.deploy("acme", "dev", "web", { image: "web:1", replicas: 2 });
    await store.transaction((tx) =>
      tx.deploymentStatus.writeIfRelease(ids.app, ids.env, 1, { serving_release: 1, phase: "serving" }),
    );
  });

  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const controller = () =>
    new RolloutController(
      store,
      canaries,
      { stats: async () => traffic },
      (e) => {
        throw e;
      },
      () => clock,
    );

  const markRouted = async () => {
    const c = await store.canaries.findActive(ids.app, ids.env);
    await store.canaries.update(c?.id as number, { phase: "running", step_started_at: now().toISOString() });
  };

  it("starts a canary from an image as a new release, with the stable's replicas and the rules", async () => {
    const { canary } = await start({
      image: "web:2",
      rules: { headers: [{ name: "X-Dept", value: "finance" }], weight: 10 },
    });
    expect(canary).toMatchObject({
      release: 2,
      stableRelease: 1,
      replicas: 2,
      phase: "starting",
      mode: "canary",
    });
    expect(canary.rules).toEqual({
      headers: [{ name: "X-Dept", value: "finance" }],
      cookie: null,
      sourceCidrs: [],
      weight: 10,
    });
    expect((await store.releases.find(ids.app, ids.env, 2))?.port).toBe(9000);
    const kinds = (await store.events.list(ids.app, ids.env, 0, 100)).map((e) => e.kind);
    expect(kinds.slice(-2)).toEqual(["release-created", "canary-started"]);
  });

  it("refuses a second canary, the serving release, a missing release and a rollout still in progress", async () => {
    await expect(start({ release: 1 })).rejects.toThrow(/already the serving release/);
    await expect(start({ release: 9 })).rejects.toThrow(/has no release 9/);
    await deploys.deploy("acme", "dev", "web", { image: "web:3" });
    await expect(start({ release: 1 })).rejects.toThrow(/is rolling out release 2/);
    await store.transaction((tx) =>
      tx.deploymentStatus.writeIfRelease(ids.app, ids.env, 2, { serving_release: 2, phase: "serving" }),
    );
    await start({ release: 1 });
    await expect(start({ release: 1 })).rejects.toThrow(/already has a canary/);
    expect(await store.canaries.listActive()).toHaveLength(1);
  });

  it("refuses deploy and rollback while a canary runs, and weight together with steps", async () => {
    await expect(
      start({ image: "web:2", rules: { weight: 5 }, rollout: { steps: [5, 50], intervalSeconds: 10 } }),
    ).rejects.toThrow(/either a weight or rollout steps/);
    await expect(
      start({ image: "web:2", mode: "blue-green", rollout: { steps: [5, 50], intervalSeconds: 10 } }),
    ).rejects.toThrow(/blue-green release switches all at once/);
    expect(await store.canaries.listActive()).toHaveLength(0);
    await start({ image: "web:2" });
    await expect(deploys.deploy("acme", "dev", "web", { image: "web:3" })).rejects.toThrow(
      /promote or abort it first/,
    );
    await expect(deploys.rollback("acme", "dev", "web")).rejects.toThrow(/promote or abort it first/);
  });

  it("changes rules in place and publishes them; a staged rollout owns its weight", async () => {
    await start({ image: "web:2", rules: { weight: 10, sourceCidrs: ["10.0.0.0/8"] } });
    const c = await canaries.updateRules("acme", "dev", "web", {
      weight: 40,
      cookie: { name: "grp", value: "beta" },
    });
    expect(c.rules).toEqual({
      headers: [],
      cookie: { name: "grp", value: "beta" },
      sourceCidrs: ["10.0.0.0/8"],
      weight: 40,
    });
    expect(publishes).toBe(1);
    await canaries.abort("acme", "dev", "web");
    await start({ image: "web:3", rollout: { steps: [5, 50], intervalSeconds: 10 } });
    await expect(canaries.updateRules("acme", "dev", "web", { weight: 90 })).rejects.toThrow(/staged steps/);
    // The abort published too (traffic is back on stable when it answers); the refusal did not.
    expect(publishes).toBe(2);
  });

  it("promotes only a healthy canary, and an abort during promotion puts the stable back", async () => {
    await start({ image: "web:2" });
    await expect(canaries.promote("acme", "dev", "web")).rejects.toThrow(/not healthy yet/);
    await markRouted();
    await canaries.promote("acme", "dev", "web");
    expect(await store.deployments.find(ids.app, ids.env)).toMatchObject({
      release: 2,
      serving_release: 1,
      phase: "rolling-out",
    });
    const { canary } = await canaries.abort("acme", "dev", "web");
    expect(canary.phase).toBe("aborted");
    expect(await store.deployments.find(ids.app, ids.env)).toMatchObject({
      release: 1,
      serving_release: 1,
      phase: "serving",
    });
    await expect(canaries.abort("acme", "dev", "web")).rejects.toThrow(/has no canary/);
  });

  it("walks a staged rollout through its steps while the gates pass, then promotes", async () => {
    await start({
      image: "web:2",
      rollout: { steps: [10, 50, 100], intervalSeconds: 60, maxErrorRate: 1, maxP99Ms: 500 },
    });
    await markRouted();
    const rollouts = controller();
    const weight = async () => (await store.canaries.findLatest(ids.app, ids.env))?.rules;
    await rollouts.tick();
    expect((await weight())?.weight).toBe(10); // the interval is not over yet
    for (const expected of [50, 100]) {
      clock += 62_000;
      await rollouts.tick();
      expect((await weight())?.weight).toBe(expected);
    }
    clock += 62_000;
    await rollouts.tick();
    expect((await store.canaries.findLatest(ids.app, ids.env))?.phase).toBe("promoting");
    expect((await store.deployments.find(ids.app, ids.env))?.release).toBe(2);
    const steps = (await store.events.list(ids.app, ids.env, 0, 100)).filter((e) => e.kind === "canary-step");
    expect(steps.map((e) => e.message)).toEqual([
      expect.stringMatching(
        /^step 2\/3: weight 50% \(step 1 passed: 100 requests in 60s, 5xx 0%, p99 20ms\)/,
      ),
      expect.stringMatching(/^step 3\/3: weight 100%/),
    ]);
  });

  it("rolls back by itself when a gate fails, and says why", async () => {
    await start({
      image: "web:2",
      rollout: { steps: [10, 100], intervalSeconds: 30, maxErrorRate: 1, maxP99Ms: 500 },
    });
    await markRouted();
    traffic = window({ requests: 200, errors5xx: 9, errorRate: 0.045 });
    const rollouts = controller();
    clock += 32_000;
    await rollouts.tick();
    const c = await store.canaries.findLatest(ids.app, ids.env);
    expect(c?.phase).toBe("failed");
    expect(c?.message).toMatch(/^rolled back automatically: step 1\/2 at 10%: 5xx rate 4.5% > 1%/);
    const last = (await store.events.list(ids.app, ids.env, 0, 100)).at(-1);
    expect(last).toMatchObject({ kind: "canary-failed", release: 2 });
    expect((await store.deployments.find(ids.app, ids.env))?.release).toBe(1);
  });

  it("fails the p99 and minimum-traffic gates too", async () => {
    await start({
      image: "web:2",
      rollout: { steps: [10, 100], intervalSeconds: 30, maxP99Ms: 500, minRequests: 50 },
    });
    await markRouted();
    traffic = window({ requests: 10 });
    const rollouts = controller();
    clock += 32_000;
    await rollouts.tick();
    expect((await store.canaries.findLatest(ids.app, ids.env))?.message).toMatch(
      /only 10 canary requests in 30s, fewer than the 50 required/,
    );
    await start({ image: "web:3", rollout: { steps: [10, 100], intervalSeconds: 30, maxP99Ms: 500 } });
    await markRouted();
    traffic = window({ p99Ms: 900 });
    clock += 32_000;
    await rollouts.tick();
    expect((await store.canaries.findLatest(ids.app, ids.env))?.message).toMatch(/p99 900ms > 500ms/);
  });
});
