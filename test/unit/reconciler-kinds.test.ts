import { describe, expect, it } from "vitest";
import type { Engine } from "../../src/engines/engine.js";
import { Reconciler } from "../../src/reconciler/reconciler.js";
import type { RoutePublisher } from "../../src/reconciler/route-publisher.js";
import type { SyncHandler } from "../../src/reconciler/sync-handler.js";
import type { Store } from "../../src/store/store.js";

/** A handler that records what it was asked to sync, with the keys it claims on a resync. */
function recording(kind: string, keys: string[]): SyncHandler & { seen: string[] } {
  const seen: string[] = [];
  return {
    kind,
    seen,
    keys: async () => keys,
    sync: async (name) => {
      seen.push(name);
      return undefined;
    },
  };
}

function reconciler(handlers: SyncHandler[], warnings: object[] = []) {
  const store = {
    environments: { listAllNames: async () => [] },
    links: { ids: async () => [] },
  } as unknown as Store;
  const engine = {
    watch: () => ({ close() {} }),
    listNetworks: async () => [],
    removeNetwork: async () => {},
  } as unknown as Engine;
  const routes = { publish: async () => {} } as unknown as RoutePublisher;
  return new Reconciler(store, engine, handlers, routes, {
    concurrency: 2,
    resyncMs: 60_000,
    log: { info() {}, warn: (obj) => warnings.push(obj) },
  });
}

describe("reconciler kinds", () => {
  it("sends each key to its kind's handler, with the key's name, through one queue", async () => {
    const apps = recording("app", []);
    const jobs = recording("job", []);
    const r = reconciler([apps, jobs]);
    r.enqueue("app/acme/prod/web");
    r.enqueue("job/42");
    r.enqueue("app/acme/dev/api");
    await r.whenIdle();
    expect(apps.seen.sort()).toEqual(["acme/dev/api", "acme/prod/web"]);
    expect(jobs.seen).toEqual(["42"]);
    r.stop();
  });

  it("drops a key no handler knows, with a warning, instead of retrying it forever", async () => {
    const warnings: object[] = [];
    const apps = recording("app", []);
    const r = reconciler([apps], warnings);
    r.enqueue("build/7");
    r.enqueue("malformed");
    await r.whenIdle();
    expect(apps.seen).toEqual([]);
    expect(warnings).toEqual([{ key: "build/7" }, { key: "malformed" }]);
    r.stop();
  });

  it("a resync enqueues every key each handler lists", async () => {
    const apps = recording("app", ["app/a/b/c", "app/a/b/d"]);
    const jobs = recording("job", ["job/1"]);
    const r = reconciler([apps, jobs]);
    await r.resync();
    await r.whenIdle();
    expect(apps.seen.sort()).toEqual(["a/b/c", "a/b/d"]);
    expect(jobs.seen).toEqual(["1"]);
    r.stop();
  });
});
