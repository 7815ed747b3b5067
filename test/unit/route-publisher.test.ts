import { describe, expect, it } from "vitest";
import { RoutePublisher } from "../../src/reconciler/route-publisher.js";
import type { Route } from "../../src/router/route.js";
import type { Store } from "../../src/store/store.js";

/** A recording router and a store stand-in that only answers listRouted. */
function setup(fail: () => boolean) {
  const applied: Route[][] = [];
  const router = {
    apply: async (routes: Route[]) => {
      await new Promise((r) => setTimeout(r, 5));
      if (fail()) throw new Error("nginx -t failed");
      applied.push(routes);
    },
  };
  const store = {
    endpoints: {
      listRouted: async () => [
        {
          tenant: "acme",
          env: "dev",
          app: "web",
          endpoints: [{ address: "127.0.0.1", port: 32768, release: 1, containerId: "c1" }],
        },
      ],
    },
  } as unknown as Store;
  return { applied, publisher: new RoutePublisher(store, router, "localhost") };
}

describe("RoutePublisher", () => {
  it("renders hosts from the store and folds concurrent calls into one follow-up apply", async () => {
    const { applied, publisher } = setup(() => false);
    await Promise.all([publisher.publish(), publisher.publish(), publisher.publish(), publisher.publish()]);
    expect(applied).toHaveLength(2);
    expect(applied[0]).toEqual([
      { host: "web.dev.acme.localhost", endpoints: [{ address: "127.0.0.1", port: 32768 }] },
    ]);
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
