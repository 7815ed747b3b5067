import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { HealthMonitor } from "../../src/reconciler/health-monitor.js";
import { openSqliteStore } from "../../src/store/open-sqlite-store.js";
import type { ReplicaStatus } from "../../src/store/replica-status-repository.js";
import type { Store } from "../../src/store/store.js";

/**
 * The health monitor on a real SQLite store, with a probe that answers as the test says (the
 * seam between it and the network): what it records per round, and when it asks for a pass.
 */
describe("HealthMonitor", () => {
  let dir: string;
  let store: Store;
  let ids: { app: number; env: number };
  let answer: boolean;
  const enqueued: string[] = [];
  let clock = Date.parse("2026-12-04T10:00:00.000Z");
  let monitor: HealthMonitor;

  const replica = (over: Partial<ReplicaStatus> = {}): ReplicaStatus => ({
    workloadId: "c1",
    name: "web-1",
    release: 1,
    slot: 0,
    state: "running",
    node: null,
    detail: null,
    hostPort: 32000,
    address: "172.18.0.2",
    port: 8080,
    healthy: true,
    failures: 0,
    lastProbeAt: new Date(clock).toISOString(),
    unhealthySince: null,
    createdAt: new Date(clock - 60_000).toISOString(),
    observedAt: new Date(clock).toISOString(),
    ...over,
  });
  const status = async () => (await store.replicas.list(ids.app, ids.env))[0] as ReplicaStatus;
  const round = async () => {
    clock += 1000;
    enqueued.length = 0;
    await monitor.tick();
    return status();
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "berth-health-"));
    store = await openSqliteStore(join(dir, "berth.db"));
    const tenant = await store.tenants.create("acme");
    const env = await store.environments.create(tenant.id, "dev");
    const app = await store.apps.create(tenant.id, "web");
    ids = { app: app.id, env: env.id };
    await store.releases.create({
      app_id: app.id,
      env_id: env.id,
      image: "web:1",
      image_id: `sha256:${"a".repeat(64)}`,
      port: 8080,
      health_path: "/healthz",
      source: "image",
      rolled_back_from: null,
    });
    answer = true;
    monitor = new HealthMonitor(
      store,
      async (address, port, check) => {
        expect([address, port, check]).toEqual(["172.18.0.2", 8080, { kind: "http", path: "/healthz" }]);
        return answer;
      },
      { enqueue: (key) => enqueued.push(key) },
      { periodMs: 1000, failuresToLeave: 2, concurrency: 4 },
      (error) => {
        throw error;
      },
      () => clock,
    );
    await store.replicas.replace(ids.app, ids.env, [replica()]);
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("records each probe; two failures in a row ask for a pass, and so does every round it stays sick", async () => {
    answer = false;
    const first = await round();
    expect(first).toMatchObject({
      healthy: false,
      failures: 1,
      unhealthySince: new Date(clock).toISOString(),
    });
    expect(enqueued).toEqual([]);
    const since = first.unhealthySince;
    expect(await round()).toMatchObject({ healthy: false, failures: 2, unhealthySince: since });
    expect(enqueued).toEqual(["app/acme/dev/web"]);
    expect(await round()).toMatchObject({ failures: 3, unhealthySince: since });
    expect(enqueued).toEqual(["app/acme/dev/web"]);
    answer = true;
    expect(await round()).toMatchObject({ healthy: true, failures: 0, unhealthySince: null });
    expect(enqueued).toEqual(["app/acme/dev/web"]);
    expect((await status()).lastProbeAt).toBe(new Date(clock).toISOString());
    await round();
    expect(enqueued).toEqual([]);
  });

  it("starts no replacement clock for a replica whose healthy verdict predates this server", async () => {
    await store.replicas.replace(ids.app, ids.env, [
      replica({ lastProbeAt: new Date(clock - 3_600_000).toISOString() }),
    ]);
    answer = false;
    expect(await round()).toMatchObject({ healthy: false, failures: 1, unhealthySince: null });
    expect(await round()).toMatchObject({ failures: 2, unhealthySince: null });
    // It leaves the router all the same; only the clock that would replace it does not start.
    expect(enqueued).toEqual(["app/acme/dev/web"]);
  });

  it("leaves replicas that are not running alone", async () => {
    await store.replicas.replace(ids.app, ids.env, [replica({ state: "restarting", address: null })]);
    answer = false;
    expect(await round()).toMatchObject({ healthy: true, failures: 0 });
    expect(enqueued).toEqual([]);
  });
});
