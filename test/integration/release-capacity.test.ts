import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AesGcmBox } from "../../src/crypto/aes-gcm-box.js";
import { KeyRing } from "../../src/crypto/key-ring.js";
import { findAppInEnv } from "../../src/services/lookup.js";
import { ReleaseMaker } from "../../src/services/release-maker.js";
import { openSqliteStore } from "../../src/store/open-sqlite-store.js";
import type { Store } from "../../src/store/store.js";

/**
 * Platform facts (BERTH_MEMORY_MB, BERTH_CPUS and what Java heap templates compute from them) come
 * from the engine the environment runs on: a cluster's nodes, not the Berth host.
 */
describe("release facts per engine", () => {
  let dir: string;
  let store: Store;
  const asked: (string | null)[] = [];
  let releases: ReleaseMaker;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "berth-capacity-"));
    store = await openSqliteStore(join(dir, "berth.db"));
    asked.length = 0;
    releases = new ReleaseMaker(new AesGcmBox(KeyRing.open(join(dir, "keyring"))), {
      capacityOn: async (cluster) => {
        asked.push(cluster);
        return cluster === "tb" ? { memoryMb: 1024, cpus: 4 } : { memoryMb: 24_000, cpus: 2 };
      },
      unsupportedOn: () => undefined,
    });
    const tenant = await store.tenants.create("acme");
    const cluster = await store.clusters.create({
      name: "tb",
      docker_host: "unix:///tmp/none.sock",
      tls_ca: null,
      tls_cert: null,
      tls_key: null,
    });
    await store.environments.create(tenant.id, "dev");
    await store.environments.create(tenant.id, "prod", cluster.id);
    const app = await store.apps.create(tenant.id, "web");
    await store.config.putEntry(
      { tenantId: tenant.id, appId: app.id, envId: 0 },
      "JAVA_OPTS",
      false,
      "-Xmx${BERTH_MEMORY_MB * 3 / 4}m",
    );
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const facts = async (env: string) => {
    const where = await findAppInEnv(store, "acme", env, "web");
    const made = await store.transaction((tx) =>
      releases.make(tx, where, {
        image: "web:1",
        imageId: `sha256:${"a".repeat(64)}`,
        exposedPorts: [8080],
        source: "image",
      }),
    );
    return { ...made.snapshot.facts, JAVA_OPTS: made.snapshot.env.JAVA_OPTS };
  };

  it("a release on a cluster gets its nodes' memory and CPUs; one on the local engine the host's", async () => {
    expect(await facts("prod")).toMatchObject({
      BERTH_MEMORY_MB: "1024",
      BERTH_CPUS: "4",
      JAVA_OPTS: "-Xmx768m",
    });
    expect(await facts("dev")).toMatchObject({
      BERTH_MEMORY_MB: "24000",
      BERTH_CPUS: "2",
      JAVA_OPTS: "-Xmx18000m",
    });
    expect(asked).toEqual(["tb", null]);
    // The local host's capacity is asked once; a cluster's is kept for a while, not forever.
    await facts("dev");
    await facts("prod");
    expect(asked).toEqual(["tb", null]);
  });
});
