import { describe, expect, it } from "vitest";
import { RoutePublisher } from "../../src/reconciler/route-publisher.js";
import type { RouterTable } from "../../src/router/route.js";
import type { Store } from "../../src/store/store.js";

/** A recording router and a store stand-in that only answers listRouted. */
function setup(fail: () => boolean) {
  const applied: RouterTable[] = [];
  const router = {
    apply: async (routes: RouterTable) => {
      await new Promise((r) => setTimeout(r, 5));
      if (fail()) throw new Error("nginx -t failed");
      applied.push(routes);
    },
  };
  const store = {
    endpoints: {
      listRouted: async () => [
        {
          appId: 1,
          envId: 1,
          servingRelease: 1,
          tenant: "acme",
          env: "dev",
          app: "web",
          endpoints: [
            { address: "127.0.0.1", port: 32768, release: 1, containerId: "c1" },
            { address: "127.0.0.1", port: 32769, release: 2, containerId: "c2" },
          ],
        },
      ],
    },
    canaries: { listActive: async () => [] },
    appRoutes: { listAll: async () => [] },
    certificates: { listAll: async () => [] },
  } as unknown as Store;
  return { applied, publisher: new RoutePublisher(store, router, "localhost") };
}

describe("RoutePublisher", () => {
  it("renders hosts from the store and folds concurrent calls into one follow-up apply", async () => {
    const { applied, publisher } = setup(() => false);
    await Promise.all([publisher.publish(), publisher.publish(), publisher.publish(), publisher.publish()]);
    expect(applied).toHaveLength(2);
    // Only the serving release's endpoints are routed: release 2 has no canary row.
    expect(applied[0]).toEqual({
      backends: [
        {
          id: "acme/dev/web",
          stable: { release: 1, endpoints: [{ address: "127.0.0.1", port: 32768 }] },
          canary: null,
        },
      ],
      sites: [
        {
          host: "web.dev.acme.localhost",
          tls: null,
          locations: [{ path: "/", backend: "acme/dev/web", redirectHttps: false }],
        },
      ],
    });
  });

  it("is stale until an apply succeeds, and again after one fails", async () => {
    let failing = true;
    const { publisher } = setup(() => failing);
    expect(publisher.isStale).toBe(true);
    await expect(publisher.publish()).rejects.toThrow(/nginx -t failed/);
    expect(publisher.isStale).toBe(true);
    failing = false;
    await publisher.publish();
    expect(publisher.isStale).toBe(false);
    failing = true;
    await expect(publisher.publish()).rejects.toThrow();
    expect(publisher.isStale).toBe(true);
  });
});
