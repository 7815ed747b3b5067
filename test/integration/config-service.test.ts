import { createWriteStream, readFileSync } from "node:fs";
import { mkdtemp, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { beforeEach, describe, expect, it } from "vitest";
import type { Manifest } from "../../src/domain/manifest.js";
import { AdminService } from "../../src/services/admin-service.js";
import type { CanaryService } from "../../src/services/canary-service.js";
import { ConfigService } from "../../src/services/config-service.js";
import { DeployService } from "../../src/services/deploy-service.js";
import { ManifestService } from "../../src/services/manifest-service.js";
import type { RouteService } from "../../src/services/route-service.js";
import { openSqliteStore } from "../../src/store/open-sqlite-store.js";
import type { Store } from "../../src/store/store.js";
import { testReleases } from "../support/release-maker.js";

/**
 * Config, secrets, settings, manifests and key rotation on a real SQLite file with a real key
 * ring; only the image lookup and the reconciler's queue are stand-ins (no containers here).
 */
describe("ConfigService, ManifestService and AdminService", () => {
  let dir: string;
  let store: Store;
  let config: ConfigService;
  let deploys: DeployService;
  let manifests: ManifestService;
  let admin: AdminService;
  const enqueued: string[] = [];
  const SECRET = "pa55-Wörd-7f3a9c";

  const images = {
    inspectImage: async (ref: string) =>
      ref.startsWith("web:") || ref.startsWith("sha256:")
        ? {
            id: ref.startsWith("sha256:") ? ref : `sha256:${ref.slice(4).padStart(64, "0")}`,
            exposedPorts: [9000],
            tenant: null,
          }
        : null,
  };
  const unused = {} as RouteService & CanaryService;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "berth-config-"));
    const { box, ring, releases } = testReleases(dir);
    store = await openSqliteStore(join(dir, "berth.db"), box);
    const enqueuer = { enqueue: (key: string) => enqueued.push(key) };
    config = new ConfigService(store, images, enqueuer, releases, box);
    deploys = new DeployService(store, images, enqueuer, { domain: "localhost", routerPort: 8080 }, releases);
    manifests = new ManifestService(store, images, enqueuer, releases, box, unused, unused);
    admin = new AdminService(store, box, ring);
    const t = await store.tenants.create("bank");
    for (const e of ["dev", "test"]) await store.environments.create(t.id, e);
    for (const a of ["web", "api"]) await store.apps.create(t.id, a);
    enqueued.length = 0;
  });

  const release = async (app: string, env: string) => (await deploys.releasesOf("bank", env, app))[0];

  it("a change to a layer makes one new release in every deployment it reaches, and none elsewhere", async () => {
    await deploys.deploy("bank", "dev", "web", { image: "web:1" });
    await deploys.deploy("bank", "test", "web", { image: "web:1" });
    await deploys.deploy("bank", "dev", "api", { image: "web:2" });
    const byApp = await config.change("bank", { app: "web", values: { GREETING: "hi ${BERTH_ENV}" } });
    expect(byApp.releases.map((r) => `${r.app}/${r.env}#${r.release}`).sort()).toEqual([
      "web/dev#2",
      "web/test#2",
    ]);
    expect((await release("web", "test"))?.changes).toBe("+GREETING");
    const tenantWide = await config.change("bank", { env: "dev", values: { LOG: "debug" } });
    expect(tenantWide.releases.map((r) => `${r.app}/${r.env}`).sort()).toEqual(["api/dev", "web/dev"]);
    const row = await store.releases.find(1, 1, 2);
    expect(row?.config).toMatchObject({ GREETING: "hi dev", BERTH_ENV: "dev" });
  });

  it("a value that does not resolve in any reached deployment is refused and nothing changes", async () => {
    await deploys.deploy("bank", "dev", "web", { image: "web:1" });
    const before = await store.releases.list(1, 1);
    await expect(
      config.change("bank", { app: "web", values: { JAVA_OPTS: "-Xmx${MEMORY_MB}m" } }),
    ).rejects.toThrow(/web in dev: JAVA_OPTS refers to MEMORY_MB/);
    await expect(config.change("bank", { values: { A: "${B}", B: "${A}" } })).rejects.toThrow(
      /A → B → A|B → A → B/,
    );
    expect(await store.releases.list(1, 1)).toEqual(before);
    expect((await store.config.layer({ tenantId: 1, appId: 1, envId: 0 })).entries).toEqual([]);
  });

  it("staged changes wait for a redeploy; diff shows pending against live", async () => {
    await deploys.deploy("bank", "dev", "web", { image: "web:1" });
    const staged = await config.change("bank", {
      app: "web",
      env: "dev",
      values: { LEVEL: "warn" },
      stage: true,
    });
    expect(staged).toMatchObject({ releases: [], staged: [{ app: "web", env: "dev" }] });
    const diff = await config.diff("bank", "dev", "web", { showSecrets: false });
    expect(diff.lines).toEqual([{ key: "LEVEL", change: "added", from: null, to: "warn", secret: false }]);
    const redeployed = await deploys.redeploy("bank", "dev", "web");
    expect(redeployed.release).toBe(2);
    expect((await config.diff("bank", "dev", "web", { showSecrets: false })).lines).toEqual([]);
  });

  it("rollback brings back the old image and config; promotion keeps the image and takes the target's config", async () => {
    await config.change("bank", { app: "web", env: "dev", values: { LEVEL: "debug" } });
    await config.change("bank", { app: "web", env: "test", values: { LEVEL: "warn" } });
    await deploys.deploy("bank", "dev", "web", { image: "web:1" });
    await config.change("bank", { app: "web", env: "dev", values: { LEVEL: "trace" } });
    await deploys.rollback("bank", "dev", "web", 1);
    const r3 = await release("web", "dev");
    expect(r3).toMatchObject({ number: 3, source: "rollback", rolledBackFrom: 1 });
    expect((await store.releases.find(1, 1, 3))?.config).toMatchObject({
      LEVEL: "debug",
    });
    await store.transaction((tx) =>
      tx.deploymentStatus.writeIfRelease(1, 1, 3, { serving_release: 3, phase: "serving" }),
    );
    const promoted = await deploys.promote("bank", "web", "dev", "test");
    const t1 = await store.releases.find(1, 2, promoted.release);
    expect(t1).toMatchObject({ image_id: `sha256:${"1".padStart(64, "0")}`, promoted_from: "dev#3" });
    expect(t1?.config).toMatchObject({ LEVEL: "warn", BERTH_ENV: "test" });
  });

  it("secrets are sealed in the database, its WAL and its backup, and stay readable after rotation", async () => {
    await deploys.deploy("bank", "dev", "web", { image: "web:1" });
    await config.change("bank", { app: "web", env: "dev", secrets: { DB_PASSWORD: SECRET } });
    await config.change("bank", { app: "web", values: { DSN: "pg://u:${DB_PASSWORD}@db" } });
    await config.putFile("bank", {
      app: "web",
      env: "dev",
      path: "/app/db.properties",
      content: "pw=${DB_PASSWORD}",
    });
    const listing = await config.list("bank", { app: "web", env: "dev" }, false);
    expect(JSON.stringify(listing)).not.toContain(SECRET);
    expect(listing.entries.find((e) => e.key === "DSN")?.resolved).toBe("******");
    const shown = await config.list("bank", { app: "web", env: "dev" }, true);
    expect(shown.entries.find((e) => e.key === "DSN")?.resolved).toBe(`pg://u:${SECRET}@db`);
    const events = await deploys.events("bank", "dev", "web", 0, 1000);
    expect(JSON.stringify(events)).not.toContain(SECRET);
    const releases = await deploys.releasesOf("bank", "dev", "web");
    expect(releases[0]?.secretKeys).toEqual(["DB_PASSWORD", "DSN"]);
    expect(JSON.stringify(releases)).not.toContain(SECRET);

    const backup = join(dir, "backup.db");
    await pipeline(await admin.backup(), createWriteStream(backup));
    const rotated = await admin.rotateKey(true);
    expect(rotated.resealed).toMatchObject({ secrets: 1 });
    expect(rotated.resealed.releases).toBeGreaterThanOrEqual(2);
    expect(rotated.keys).toEqual([rotated.keyId]);
    expect((await config.list("bank", { app: "web", env: "dev" }, true)).entries[0]?.value).toBe(SECRET);
    const exported = await manifests.export("bank");
    expect(exported.apps?.web?.envs?.dev?.secrets).toEqual({ DB_PASSWORD: "keep" });
    expect(JSON.stringify(exported)).not.toContain(SECRET);

    // The plaintext, and its UTF-8 and UTF-16 forms, appear in no file the store wrote.
    const needles = [Buffer.from(SECRET, "utf8"), Buffer.from(SECRET, "utf16le")];
    const files = (await readdir(dir)).filter((f) => f.startsWith("berth.db") || f === "backup.db");
    expect(files).toEqual(expect.arrayContaining(["berth.db", "backup.db"]));
    let control = 0;
    for (const f of files) {
      const bytes = readFileSync(join(dir, f));
      for (const n of needles) expect(bytes.includes(n), `${f} holds the secret`).toBe(false);
      // Positive control: the same search finds a plain value, so a miss above means something.
      if (bytes.includes(Buffer.from("pg://u:${DB_PASSWORD}@db"))) control++;
    }
    expect(control).toBeGreaterThan(0);
  });

  it("apply makes the store match a manifest in one go; apply(export) and a second apply change nothing", async () => {
    const m: Manifest = {
      apiVersion: "berth/v1",
      tenant: "bank",
      config: { LOG_FORMAT: "json" },
      environments: { dev: { config: { LEVEL: "debug" } }, prod: { resources: { memoryMb: 2048 } } },
      apps: {
        api: { image: "web:2", envs: { dev: {}, prod: {} } },
        web: {
          dependsOn: ["api"],
          config: { JAVA_OPTS: "-Xmx${BERTH_MEMORY_MB * 3 / 4}m" },
          files: { "/app/config/application.properties": "level=${LEVEL:-info}\n" },
          envs: {
            dev: { image: "web:1", secrets: { PW: { value: SECRET } } },
            prod: { image: "web:1", resources: { replicas: 3, cpus: 0.5 } },
          },
        },
      },
    };
    const plan = await manifests.apply(m, true);
    expect(plan.steps.map((s) => s.action)).toContain("create environment");
    expect(await store.environments.find(1, "prod")).toBeUndefined();
    const applied = await manifests.apply(m, false);
    expect(applied.steps).toEqual(plan.steps);
    expect(applied.releases.map((r) => `${r.app}/${r.env}`)).toEqual([
      "api/dev",
      "api/prod",
      "web/dev",
      "web/prod",
    ]);
    const prodWeb = await store.releases.find(1, 3, 1);
    expect(prodWeb?.config).toMatchObject({
      JAVA_OPTS: "-Xmx1536m",
      LOG_FORMAT: "json",
    });
    expect(prodWeb?.files).toEqual([{ path: "/app/config/application.properties", content: "level=info\n" }]);
    expect((await store.deployments.find(1, 3))?.replicas).toBe(3);

    expect((await manifests.apply(m, false)).steps).toEqual([]);
    const exported = await manifests.export("bank");
    const again = await manifests.apply(exported, false);
    expect(again.steps).toEqual([]);
    expect(await manifests.export("bank")).toEqual(exported);
  });

  it("apply refuses a bad manifest as a whole, naming the field, and changes nothing", async () => {
    const bad: Manifest = {
      apiVersion: "berth/v1",
      tenant: "bank",
      apps: {
        web: {
          config: { OK: "1" },
          envs: { dev: { image: "web:1", secrets: { MISSING: "keep" } } },
        },
      },
    };
    await expect(manifests.apply(bad, false)).rejects.toMatchObject({
      field: "apps.web.envs.dev.secrets.MISSING",
    });
    await expect(
      manifests.apply({ apiVersion: "berth/v1", tenant: "bank", apps: { web: { image: "nope:1" } } }, false),
    ).rejects.toMatchObject({ field: "apps.web.image" });
    expect((await store.config.layer({ tenantId: 1, appId: 1, envId: 0 })).entries).toEqual([]);
    expect(await store.releases.list(1, 1)).toEqual([]);
  });
});
