import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DeployService } from "../../src/services/deploy-service.js";
import { openSqliteStore } from "../../src/store/open-sqlite-store.js";
import type { Store } from "../../src/store/store.js";
import { testReleases } from "../support/release-maker.js";

/** DeployService on a real SQLite file; only the image lookup and the enqueuer are stand-ins. */
describe("DeployService", () => {
  let dir: string;
  let store: Store;
  let service: DeployService;
  const enqueued: string[] = [];
  let ids: { app: number; env: number };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "berth-deploy-"));
    store = await openSqliteStore(join(dir, "berth.db"));
    const images = {
      inspectImage: async (ref: string) =>
        ref.startsWith("web:")
          ? { id: `sha256:${ref.slice(4).padStart(64, "0")}`, exposedPorts: [9000], tenant: null }
          : null,
    };
    service = new DeployService(
      store,
      images,
      { enqueue: (key) => enqueued.push(key) },
      {
        domain: "localhost",
        routerPort: 8080,
      },
      testReleases(dir).releases,
    );
    const tenant = await store.tenants.create("acme");
    const env = await store.environments.create(tenant.id, "dev");
    const app = await store.apps.create(tenant.id, "web");
    ids = { app: app.id, env: env.id };
    enqueued.length = 0;
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("takes the port from the image, then keeps port, health path, replicas and timeout", async () => {
    const first = await service.deploy("acme", "dev", "web", {
      image: "web:1",
      replicas: 3,
      healthPath: "/healthz",
      healthTimeout: 300,
    });
    expect(first.release).toBe(1);
    expect(first.deployment.url).toBe("http://web.dev.acme.localhost:8080/");
    expect(enqueued).toEqual(["app/acme/dev/web"]);
    const second = await service.deploy("acme", "dev", "web", { image: "web:2" });
    expect(second.release).toBe(2);
    const [r2] = await service.releasesOf("acme", "dev", "web");
    expect(r2).toMatchObject({ number: 2, port: 9000, healthPath: "/healthz", source: "image" });
    expect(await store.deployments.find(ids.app, ids.env)).toMatchObject({
      replicas: 3,
      health_timeout_s: 300,
    });
  });

  it("rolls back by default to the newest earlier release that ever served", async () => {
    for (const image of ["web:1", "web:2", "web:3"]) await service.deploy("acme", "dev", "web", { image });
    // Release 2 failed its health check; 1 and 3 were switched to.
    await store.events.append(ids.app, ids.env, 1, "switched", "router switched to release 1");
    await store.events.append(ids.app, ids.env, 3, "switched", "router switched to release 3");
    await store.transaction((tx) =>
      tx.deploymentStatus.writeIfRelease(ids.app, ids.env, 3, { serving_release: 3, phase: "serving" }),
    );

    const outcome = await service.rollback("acme", "dev", "web");
    expect(outcome.release).toBe(4);
    const [r4, , , r1] = await service.releasesOf("acme", "dev", "web");
    expect(r4).toMatchObject({ source: "rollback", rolledBackFrom: 1, imageId: r1?.imageId });
  });

  it("refuses a default rollback when nothing earlier ever served, and writes nothing", async () => {
    await service.deploy("acme", "dev", "web", { image: "web:1" });
    await service.deploy("acme", "dev", "web", { image: "web:2" });
    await store.deploymentStatus.write(ids.app, ids.env, { serving_release: 2 });
    await expect(service.rollback("acme", "dev", "web")).rejects.toThrow(
      /that ever served; pick one with --to N/,
    );
    expect(await service.releasesOf("acme", "dev", "web")).toHaveLength(2);
  });

  it("scale of an app that is not deployed writes nothing", async () => {
    await expect(service.scale("acme", "dev", "web", 2)).rejects.toThrow(/not deployed in dev/);
    expect(await store.events.lastId(ids.app, ids.env)).toBe(0);
    expect(enqueued).toEqual([]);
  });

  it("rejects an image that is not on the host, naming the field, and writes nothing", async () => {
    await expect(service.deploy("acme", "dev", "web", { image: "other:1" })).rejects.toMatchObject({
      code: "invalid",
      field: "image",
    });
    expect(await service.releasesOf("acme", "dev", "web")).toEqual([]);
  });
});
