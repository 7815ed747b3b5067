import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import SqliteDatabase from "better-sqlite3";
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from "kysely";
import pg from "pg";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { DeploymentPatch } from "../../src/store/deployment-repository.js";
import { type IdColumn, postgresId, sqliteId } from "../../src/store/migrations/id-column.js";
import { migrationProvider } from "../../src/store/migrations/migration-provider.js";
import { openPostgresStore } from "../../src/store/open-postgres-store.js";
import { openSqliteStore } from "../../src/store/open-sqlite-store.js";
import type { NewRelease } from "../../src/store/release-repository.js";
import type { Store } from "../../src/store/store.js";
import { createTestDatabase, skipPostgres, type TestDatabase } from "../support/postgres-test-database.js";

let dir: string;
let file: string;
const opened: Store[] = [];
const raw: SqliteDatabase.Database[] = [];

async function open(path = file): Promise<Store> {
  const store = await openSqliteStore(path);
  opened.push(store);
  return store;
}

/** A second, plain connection to the same file, to see what is really on disk. */
function rawDb(path = file): SqliteDatabase.Database {
  const db = new SqliteDatabase(path);
  raw.push(db);
  return db;
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "berth-store-"));
  file = join(dir, "berth.db");
});

afterEach(async () => {
  for (const db of raw.splice(0)) db.close();
  for (const store of opened.splice(0)) await store.close();
  await rm(dir, { recursive: true, force: true });
});

/**
 * One database engine under the same tests: each test gets a fresh, empty database (SQLite: a
 * new file in the test's directory; PostgreSQL: a new database on the test cluster).
 */
interface Dialect {
  name: string;
  skip: boolean;
  id: IdColumn;
  setUp(): Promise<void>;
  tearDown(): Promise<void>;
  /** The store on this test's database; opening it again opens the same database. */
  open(): Promise<Store>;
  /** The same database through plain Kysely (the caller destroys it), for schemas of the past. */
  kysely(): Kysely<unknown>;
  /** One query through a connection of its own, to see what is really stored. */
  rows(query: string): Promise<Record<string, unknown>[]>;
  errors: { unique: RegExp; foreignKey: RegExp; duplicateKey: RegExp };
}

const sqliteDialect: Dialect = {
  name: "SQLite",
  skip: false,
  id: sqliteId,
  // The file-level beforeEach/afterEach make and remove the directory and close what was opened.
  setUp: async () => {},
  tearDown: async () => {},
  open: () => open(),
  kysely: () => new Kysely<unknown>({ dialect: new SqliteDialect({ database: new SqliteDatabase(file) }) }),
  rows: async (query) => rawDb().prepare(query).all() as Record<string, unknown>[],
  errors: { unique: /UNIQUE/, foreignKey: /FOREIGN KEY/, duplicateKey: /UNIQUE|PRIMARY/ },
};

let pgDatabase: TestDatabase | undefined;
const postgresDialect: Dialect = {
  name: "PostgreSQL",
  skip: skipPostgres,
  id: postgresId,
  async setUp() {
    pgDatabase = await createTestDatabase();
  },
  async tearDown() {
    for (const store of opened.splice(0)) await store.close();
    await pgDatabase?.drop();
    pgDatabase = undefined;
  },
  async open() {
    const store = await openPostgresStore(currentPg().url);
    opened.push(store);
    return store;
  },
  kysely() {
    const pool = new pg.Pool({ connectionString: currentPg().url });
    return new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
  },
  rows: (query) => currentPg().query(query),
  errors: {
    unique: /unique constraint/,
    foreignKey: /foreign key constraint/,
    duplicateKey: /unique constraint "endpoints_pk"/,
  },
};

function currentPg(): TestDatabase {
  if (!pgDatabase) throw new Error("no PostgreSQL test database: its setUp failed");
  return pgDatabase;
}

const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

const newRelease = (appId: number, envId: number, image = "web:1"): NewRelease => ({
  app_id: appId,
  env_id: envId,
  image,
  image_id: `sha256:${"a".repeat(64)}`,
  port: 8080,
  health_path: "/healthz",
  source: "image",
  rolled_back_from: null,
});

const deploymentFields = (overrides: Partial<DeploymentPatch> = {}): Required<DeploymentPatch> => ({
  release: 1,
  replicas: 2,
  requested_at: "2025-01-01T00:00:00.000Z",
  health_timeout_s: 60,
  ...overrides,
});

/** tenant "acme" with environments dev and prod and app "web". */
async function seed(store: Store) {
  const tenant = await store.tenants.create("acme");
  const dev = await store.environments.create(tenant.id, "dev");
  const prod = await store.environments.create(tenant.id, "prod");
  const web = await store.apps.create(tenant.id, "web");
  return { tenant, dev, prod, web };
}

const count = (db: SqliteDatabase.Database, table: string) =>
  (db.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n;

const MIGRATIONS_BEFORE_007 = [
  "001-initial",
  "002-canaries-routes",
  "003-config",
  "004-audit",
  "005-tenancy",
  "006-clusters",
];

describe("openSqliteStore", () => {
  it("creates the file 0600 in WAL mode, with foreign keys on", async () => {
    const store = await open(join(dir, "nested", "deeper", "berth.db"));
    await store.tenants.create("acme");
    const path = join(dir, "nested", "deeper", "berth.db");
    expect(await modeOf(path)).toBe(0o600);
    expect(await modeOf(`${path}-wal`)).toBe(0o600);
    const db = rawDb(path);
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(count(db, "tenants")).toBe(1);
  });

  it("tightens an existing database file to 0600", async () => {
    await writeFile(file, "", { mode: 0o644 });
    await open();
    expect(await modeOf(file)).toBe(0o600);
  });

  it("upgrades a database from before users: its tokens belong to the bootstrap admin, unscoped", async () => {
    const sqlite = new SqliteDatabase(file);
    const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: sqlite }) });
    const migrator = new Migrator({ db, provider: migrationProvider(sqliteId) });
    expect((await migrator.migrateTo("004-audit")).error).toBeUndefined();
    sqlite
      .prepare(
        "insert into api_tokens (name, token_hash, created_at) values ('admin', 'old-hash', '2026-01-01')",
      )
      .run();
    await db.destroy();
    const store = await open();
    expect(await store.tokens.findByHash("old-hash")).toMatchObject({
      user: "admin",
      user_admin: true,
      tenant_id: null,
      env_id: null,
      role: null,
      expires_at: null,
      revoked_at: null,
    });
  });
});

for (const d of [sqliteDialect, postgresDialect]) {
  describe.skipIf(d.skip)(`the store on ${d.name}`, () => {
    beforeEach(() => d.setUp());
    afterEach(() => d.tearDown());
    const open = () => d.open();
    const countRows = async (table: string) =>
      Number((await d.rows(`select count(*) as n from ${table}`))[0]?.n);

    describe("migrations", () => {
      it("migrates idempotently when the same database is opened again, keeping the data", async () => {
        const first = await open();
        const { tenant } = await seed(first);
        // A second store on the same database while the first is open, then again after both closed.
        const second = await open();
        expect((await second.tenants.find("acme"))?.id).toBe(tenant.id);
        await first.close();
        await second.close();
        opened.splice(opened.indexOf(first), 1);
        opened.splice(opened.indexOf(second), 1);
        const third = await open();
        expect((await third.tenants.list()).map((t) => t.name)).toEqual(["acme"]);
        expect((await third.environments.list(tenant.id)).map((e) => e.name)).toEqual(["dev", "prod"]);
        const migrations = (await d.rows("select name from kysely_migration order by name")) as {
          name: string;
        }[];
        expect(migrations.map((m) => m.name).slice(0, 6)).toEqual(MIGRATIONS_BEFORE_007);
        expect(migrations.map((m) => m.name)).toEqual(
          Object.keys(await migrationProvider(d.id).getMigrations()),
        );
      });

      it("upgrades data written by older migrations: deploy flags become settings, old tokens belong to admin", async () => {
        const db = d.kysely();
        const migrator = new Migrator({ db, provider: migrationProvider(d.id) });
        expect((await migrator.migrateTo("002-canaries-routes")).error).toBeUndefined();
        const at = "2025-01-01T00:00:00.000Z";
        await sql`insert into tenants (name, created_at) values ('acme', ${at})`.execute(db);
        await sql`insert into environments (tenant_id, name, created_at) values (1, 'prod', ${at})`.execute(
          db,
        );
        await sql`insert into apps (tenant_id, name, created_at) values (1, 'web', ${at})`.execute(db);
        await sql`insert into releases (app_id, env_id, number, image, image_id, port, health_path, source, created_at)
          values (1, 1, 1, 'web:1', 'sha256:1', 8081, '/healthz', 'image', ${at})`.execute(db);
        await sql`insert into deployments (app_id, env_id, release, replicas, serving_release, phase, message, health_timeout_s, updated_at)
          values (1, 1, 1, 3, 1, 'serving', 'ok', 45, ${at})`.execute(db);
        // A failed rollout (the spec already pointed back at 1) and one under way, as 002 kept them.
        await sql`insert into apps (tenant_id, name, created_at) values (1, 'api', ${at}), (1, 'job', ${at})`.execute(
          db,
        );
        await sql`insert into deployments (app_id, env_id, release, replicas, serving_release, phase, message, health_timeout_s, updated_at)
          values (2, 1, 1, 1, 1, 'failed', 'release 2 failed', 60, ${at}),
                 (3, 1, 2, 1, 1, 'rolling-out', 'rolling out release 2', 60, ${at})`.execute(db);
        await sql`insert into deployment_events (app_id, env_id, release, kind, message, at)
          values (2, 1, 2, 'failed', 'release 2 did not answer', ${at})`.execute(db);
        expect((await migrator.migrateTo("004-audit")).error).toBeUndefined();
        await sql`insert into api_tokens (name, token_hash, created_at) values ('admin', 'old-hash', ${at})`.execute(
          db,
        );
        await db.destroy();
        const store = await open();
        const { settings } = await store.config.layer({ tenantId: 1, appId: 1, envId: 1 });
        expect(settings.map((x) => [x.name, x.value])).toEqual([
          ["healthPath", "/healthz"],
          ["healthTimeout", 45],
          ["port", 8081],
          ["replicas", 3],
        ]);
        expect(await store.tokens.findByHash("old-hash")).toMatchObject({
          user: "admin",
          user_admin: true,
          tenant_id: null,
        });
        expect(await store.deployments.find(2, 1)).toMatchObject({
          release: 1,
          requested_release: 1,
          phase: "failed",
          failed_release: 2,
          failure_reason: "release 2 did not answer",
          failed_at: at,
        });
        expect(await store.deployments.find(3, 1)).toMatchObject({
          release: 2,
          serving_release: 1,
          observed_release: 1,
          phase: "rolling-out",
        });
        // Migration 009: the one row's status moved to deployment_status, settled and serving.
        expect(await store.deployments.find(1, 1)).toMatchObject({
          release: 1,
          requested_release: 1,
          serving_release: 1,
          observed_release: 1,
          phase: "serving",
          message: "ok",
          replicas: 3,
          failed_release: null,
        });
      });
    });

    describe("tenants, environments and apps", () => {
      it("create, find, list and delete", async () => {
        const store = await open();
        const zeta = await store.tenants.create("zeta");
        const acme = await store.tenants.create("acme");
        expect(acme).toMatchObject({ name: "acme", id: expect.any(Number), created_at: expect.any(String) });
        expect(Number.isNaN(Date.parse(acme.created_at))).toBe(false);
        expect((await store.tenants.list()).map((t) => t.name)).toEqual(["acme", "zeta"]);
        expect(await store.tenants.find("acme")).toEqual(acme);
        expect(await store.tenants.find("nope")).toBeUndefined();

        const prod = await store.environments.create(acme.id, "prod");
        await store.environments.create(acme.id, "dev");
        await store.environments.create(zeta.id, "prod");
        expect((await store.environments.list(acme.id)).map((e) => e.name)).toEqual(["dev", "prod"]);
        expect(await store.environments.find(acme.id, "prod")).toEqual(prod);
        expect(await store.environments.find(zeta.id, "dev")).toBeUndefined();
        expect((await store.environments.listAllNames()).map((n) => `${n.tenant}/${n.env}`).sort()).toEqual([
          "acme/dev",
          "acme/prod",
          "zeta/prod",
        ]);

        const web = await store.apps.create(acme.id, "web");
        await store.apps.create(acme.id, "api");
        await store.apps.create(zeta.id, "web");
        expect((await store.apps.list(acme.id)).map((a) => a.name)).toEqual(["api", "web"]);
        expect(await store.apps.find(acme.id, "web")).toEqual(web);

        await store.apps.delete(web.id);
        expect(await store.apps.find(acme.id, "web")).toBeUndefined();
        expect(await store.apps.find(zeta.id, "web")).toBeDefined();
        await store.environments.delete(prod.id);
        expect((await store.environments.list(acme.id)).map((e) => e.name)).toEqual(["dev"]);

        // Deleting a tenant cascades to its environments and apps.
        await store.tenants.delete(acme.id);
        expect(await store.tenants.find("acme")).toBeUndefined();
        expect(await countRows("environments")).toBe(1);
        expect(await countRows("apps")).toBe(1);
      });

      it("enforces unique names per scope", async () => {
        const store = await open();
        const acme = await store.tenants.create("acme");
        const zeta = await store.tenants.create("zeta");
        await expect(store.tenants.create("acme")).rejects.toThrow(d.errors.unique);
        await store.environments.create(acme.id, "prod");
        await expect(store.environments.create(acme.id, "prod")).rejects.toThrow(d.errors.unique);
        await expect(store.environments.create(zeta.id, "prod")).resolves.toMatchObject({ name: "prod" });
        await store.apps.create(acme.id, "web");
        await expect(store.apps.create(acme.id, "web")).rejects.toThrow(d.errors.unique);
        await expect(store.apps.create(zeta.id, "web")).resolves.toMatchObject({ name: "web" });
        // An app and an environment may share a name.
        await expect(store.apps.create(acme.id, "prod")).resolves.toMatchObject({ name: "prod" });
      });

      it("rejects children of a tenant that does not exist", async () => {
        const store = await open();
        await expect(store.apps.create(999, "web")).rejects.toThrow(d.errors.foreignKey);
      });
    });

    describe("releases", () => {
      it("count up per app per environment, independently", async () => {
        const store = await open();
        const { tenant, dev, prod, web } = await seed(store);
        const api = await store.apps.create(tenant.id, "api");
        const r1 = await store.releases.create(newRelease(web.id, dev.id, "web:1"));
        const r2 = await store.releases.create(newRelease(web.id, dev.id, "web:2"));
        const p1 = await store.releases.create(newRelease(web.id, prod.id, "web:2"));
        const a1 = await store.releases.create(newRelease(api.id, dev.id, "api:1"));
        expect([r1.number, r2.number, p1.number, a1.number]).toEqual([1, 2, 1, 1]);
        expect(r1).toMatchObject({ image: "web:1", port: 8080, health_path: "/healthz", source: "image" });
        expect(await store.releases.find(web.id, dev.id, 2)).toEqual(r2);
        expect(await store.releases.find(web.id, prod.id, 2)).toBeUndefined();
      });

      it("list newest first", async () => {
        const store = await open();
        const { dev, web } = await seed(store);
        for (const tag of ["1", "2", "3"])
          await store.releases.create(newRelease(web.id, dev.id, `web:${tag}`));
        await store.releases.create({
          ...newRelease(web.id, dev.id, "web:1"),
          source: "rollback",
          rolled_back_from: 1,
        });
        const list = await store.releases.list(web.id, dev.id);
        expect(list.map((r) => r.number)).toEqual([4, 3, 2, 1]);
        expect(list[0]).toMatchObject({ source: "rollback", rolled_back_from: 1, image: "web:1" });
      });

      it("never hands out a number twice, even to racing writers in transactions", async () => {
        const store = await open();
        const { dev, web } = await seed(store);
        const results = await Promise.allSettled(
          [1, 2, 3, 4].map((i) =>
            store.transaction((tx) => tx.releases.create(newRelease(web.id, dev.id, `web:${i}`))),
          ),
        );
        const numbers = results.flatMap((r) => (r.status === "fulfilled" ? [r.value.number] : []));
        expect(new Set(numbers).size).toBe(numbers.length);
        expect(numbers.sort()).toEqual([1, 2, 3, 4]);
      });
    });

    describe("deployments", () => {
      it("insert, find, update, findByNames and listAll", async () => {
        const store = await open();
        const { dev, prod, web } = await seed(store);
        await store.deployments.insert(web.id, prod.id, deploymentFields());
        await store.deployments.insert(web.id, dev.id, deploymentFields({ replicas: 1 }));
        const row = await store.deployments.find(web.id, prod.id);
        // No status yet: the asked-for release shows as rolling out since it was asked for.
        expect(row).toMatchObject({
          app_id: web.id,
          env_id: prod.id,
          ...deploymentFields(),
          requested_release: 1,
          serving_release: null,
          phase: "rolling-out",
          message: "rolling out release 1",
          rollout_started_at: "2025-01-01T00:00:00.000Z",
          ready_replicas: 0,
          total_replicas: 0,
        });

        await store.deploymentStatus.write(web.id, prod.id, {
          phase: "serving",
          serving_release: 1,
          observed_release: 1,
          observed_generation: 1,
          rollout_started_at: null,
          message: "release 1 is serving",
          ready_replicas: 2,
          total_replicas: 2,
        });
        const named = await store.deployments.findByNames("acme", "prod", "web");
        expect(named).toMatchObject({
          tenant: "acme",
          env: "prod",
          app: "web",
          release: 1,
          replicas: 2,
          serving_release: 1,
          observed_release: 1,
          phase: "serving",
          rollout_started_at: null,
          message: "release 1 is serving",
          ready_replicas: 2,
          total_replicas: 2,
        });
        expect(Date.parse(named?.updated_at ?? "")).toBeGreaterThanOrEqual(Date.parse(row?.updated_at ?? ""));
        expect(await store.deployments.findByNames("acme", "staging", "web")).toBeUndefined();
        expect(await store.deployments.findByNames("other", "prod", "web")).toBeUndefined();

        const all = await store.deployments.listAll();
        expect(all.map((d) => `${d.tenant}/${d.env}/${d.app}`)).toEqual(["acme/prod/web", "acme/dev/web"]);
        expect((await store.deployments.listForApp(web.id)).map((d) => d.env)).toEqual(["dev", "prod"]);
        expect(await store.deployments.countForEnv(dev.id)).toBe(1);

        await expect(store.deployments.insert(web.id, prod.id, deploymentFields())).rejects.toThrow(
          d.errors.unique,
        );
      });

      it("records a failed rollout as status and keeps the release the user asked for", async () => {
        const store = await open();
        const { prod, web } = await seed(store);
        const settle = (release: number, patch: Parameters<typeof store.deploymentStatus.write>[2]) =>
          store.transaction((tx) => tx.deploymentStatus.writeIfRelease(web.id, prod.id, release, patch));
        await store.deployments.insert(web.id, prod.id, deploymentFields());
        expect(await settle(1, { phase: "serving", serving_release: 1 })).toBe(true);
        await store.deployments.update(web.id, prod.id, {
          release: 2,
          requested_at: "2025-01-02T00:00:00.000Z",
        });
        expect(await store.deployments.find(web.id, prod.id)).toMatchObject({
          release: 2,
          requested_release: 2,
          serving_release: 1,
          observed_release: 1,
          phase: "rolling-out",
          message: "rolling out release 2",
          rollout_started_at: "2025-01-02T00:00:00.000Z",
        });
        await settle(2, {
          phase: "failed",
          message: "health check timed out",
          failed_release: 2,
          failure_reason: "health check timed out",
          failed_at: "2025-01-02T00:01:00.000Z",
        });
        // The plan converges on what serves; the spec still says 2.
        expect(await store.deployments.find(web.id, prod.id)).toMatchObject({
          release: 1,
          requested_release: 2,
          serving_release: 1,
          observed_release: 2,
          phase: "failed",
          failed_release: 2,
          failure_reason: "health check timed out",
          failed_at: "2025-01-02T00:01:00.000Z",
        });
        // A newer release is asked for: it rolls out, the failure stays on record.
        await store.deployments.update(web.id, prod.id, { release: 3 });
        expect(await store.deployments.find(web.id, prod.id)).toMatchObject({
          release: 3,
          phase: "rolling-out",
          failed_release: 2,
        });
        // Asking again for the release that failed (a canary of it promoted) is a new rollout,
        // not the old failure: it rolls out and can serve.
        await store.deployments.update(web.id, prod.id, { release: 2 });
        expect(await store.deployments.find(web.id, prod.id)).toMatchObject({
          release: 2,
          requested_release: 2,
          phase: "rolling-out",
        });
        expect(await settle(2, { phase: "serving", serving_release: 2 })).toBe(true);
        expect(await store.deployments.find(web.id, prod.id)).toMatchObject({
          release: 2,
          serving_release: 2,
          phase: "serving",
        });
      });

      it("writeIfRelease records status only while the spec still asks for the release", async () => {
        const store = await open();
        const { prod, web } = await seed(store);
        await store.deployments.insert(web.id, prod.id, deploymentFields({ release: 5 }));
        // A deploy of release 6 lands after a reconcile pass decided to fail release 5.
        await store.deployments.update(web.id, prod.id, { release: 6 });
        expect(
          await store.transaction((tx) =>
            tx.deploymentStatus.writeIfRelease(web.id, prod.id, 5, { phase: "failed", failed_release: 5 }),
          ),
        ).toBe(false);
        expect(await store.deployments.find(web.id, prod.id)).toMatchObject({
          release: 6,
          phase: "rolling-out",
          observed_release: null,
          failed_release: null,
        });
        expect(
          await store.transaction((tx) =>
            tx.deploymentStatus.writeIfRelease(web.id, prod.id, 6, { phase: "serving", observed_release: 6 }),
          ),
        ).toBe(true);
        expect(await store.deployments.find(web.id, prod.id)).toMatchObject({ release: 6, phase: "serving" });
      });
    });

    describe("events", () => {
      it("append, list after a cursor with a limit, and lastId", async () => {
        const store = await open();
        const { dev, prod, web } = await seed(store);
        expect(await store.events.lastId(web.id, dev.id)).toBe(0);
        const ids: number[] = [];
        for (const kind of ["release-created", "container-started", "switched", "serving"]) {
          ids.push(await store.events.append(web.id, dev.id, 1, kind, `${kind} happened`));
        }
        const other = await store.events.append(web.id, prod.id, null, "scaled", "scaled to 3");
        expect(ids).toEqual([...ids].sort((a, b) => a - b));
        expect(await store.events.lastId(web.id, dev.id)).toBe(ids[3]);
        expect(await store.events.lastId(web.id, prod.id)).toBe(other);

        const all = await store.events.list(web.id, dev.id, 0, 100);
        expect(all.map((e) => e.kind)).toEqual([
          "release-created",
          "container-started",
          "switched",
          "serving",
        ]);
        expect(all[0]).toMatchObject({
          release: 1,
          message: "release-created happened",
          at: expect.any(String),
        });

        const after = await store.events.list(web.id, dev.id, ids[1] as number, 100);
        expect(after.map((e) => e.id)).toEqual(ids.slice(2));
        const limited = await store.events.list(web.id, dev.id, 0, 2);
        expect(limited.map((e) => e.id)).toEqual(ids.slice(0, 2));
        expect(await store.events.list(web.id, dev.id, ids[3] as number, 100)).toEqual([]);
        expect((await store.events.list(web.id, prod.id, 0, 100)).map((e) => e.release)).toEqual([null]);
      });
    });

    describe("endpoints", () => {
      it("replace inside a transaction, list and listRouted (apps without endpoints included)", async () => {
        const store = await open();
        const { dev, prod, web } = await seed(store);
        await store.deployments.insert(web.id, prod.id, deploymentFields());
        await store.deployments.insert(web.id, dev.id, deploymentFields());
        const ep = (container_id: string, port: number, release = 1) => ({
          container_id,
          address: "127.0.0.1",
          port,
          release,
        });

        await store.transaction(async (tx) => {
          await tx.endpoints.replace(web.id, prod.id, [ep("c2", 31002), ep("c1", 31001)]);
        });
        expect((await store.endpoints.list(web.id, prod.id)).map((e) => e.container_id)).toEqual([
          "c1",
          "c2",
        ]);

        await store.transaction(async (tx) => {
          await tx.endpoints.replace(web.id, prod.id, [ep("c3", 31003, 2)]);
        });
        expect(await store.endpoints.list(web.id, prod.id)).toEqual([
          { app_id: web.id, env_id: prod.id, ...ep("c3", 31003, 2) },
        ]);

        const routed = await store.endpoints.listRouted();
        expect(routed).toEqual([
          {
            appId: web.id,
            envId: prod.id,
            servingRelease: null,
            tenant: "acme",
            env: "prod",
            app: "web",
            endpoints: [{ address: "127.0.0.1", port: 31003, release: 2, containerId: "c3" }],
          },
          {
            appId: web.id,
            envId: dev.id,
            servingRelease: null,
            tenant: "acme",
            env: "dev",
            app: "web",
            endpoints: [],
          },
        ]);

        await store.transaction((tx) => tx.endpoints.replace(web.id, prod.id, []));
        expect(await store.endpoints.list(web.id, prod.id)).toEqual([]);
        expect((await store.endpoints.listRouted()).map((r) => r.endpoints)).toEqual([[], []]);
      });

      it("a failed replace leaves the previous set in place", async () => {
        const store = await open();
        const { prod, web } = await seed(store);
        const row = { container_id: "c1", address: "127.0.0.1", port: 31001, release: 1 };
        await store.transaction((tx) => tx.endpoints.replace(web.id, prod.id, [row]));
        // A duplicate container id violates the primary key after the delete ran.
        await expect(
          store.transaction((tx) =>
            tx.endpoints.replace(web.id, prod.id, [
              { ...row, port: 1 },
              { ...row, port: 2 },
            ]),
          ),
        ).rejects.toThrow(d.errors.duplicateKey);
        expect(await store.endpoints.list(web.id, prod.id)).toEqual([
          { app_id: web.id, env_id: prod.id, ...row },
        ]);
      });
    });

    describe("cascades and transactions", () => {
      it("deleting an app removes its releases, deployments, events and endpoints", async () => {
        const store = await open();
        const { tenant, prod, web } = await seed(store);
        const api = await store.apps.create(tenant.id, "api");
        for (const app of [web, api]) {
          await store.releases.create(newRelease(app.id, prod.id));
          await store.deployments.insert(app.id, prod.id, deploymentFields());
          await store.events.append(app.id, prod.id, 1, "release-created", "created");
          await store.endpoints.replace(app.id, prod.id, [
            { container_id: `c-${app.name}`, address: "127.0.0.1", port: 31000, release: 1 },
          ]);
        }
        await store.apps.delete(web.id);

        for (const table of ["releases", "deployments", "deployment_events", "endpoints"]) {
          const rows = (await d.rows(`select app_id from ${table}`)) as { app_id: number }[];
          expect(
            rows.map((r) => r.app_id),
            table,
          ).toEqual([api.id]);
        }
        expect((await store.endpoints.listRouted()).map((r) => r.app)).toEqual(["api"]);
      });

      it("rolls back everything a transaction wrote when it throws", async () => {
        const store = await open();
        await expect(
          store.transaction(async (tx) => {
            const t = await tx.tenants.create("acme");
            await tx.environments.create(t.id, "prod");
            const admin = await tx.users.find("admin");
            await tx.tokens.create({ user_id: admin?.id as number, name: "admin", token_hash: "hash-1" });
            throw new Error("boom");
          }),
        ).rejects.toThrow("boom");
        expect(await store.tenants.list()).toEqual([]);
        expect(await store.tokens.count()).toBe(0);
        expect(await countRows("environments")).toBe(0);
      });

      it("commits what a transaction wrote and returns its value", async () => {
        const store = await open();
        const id = await store.transaction(async (tx) => (await tx.tenants.create("acme")).id);
        expect((await store.tenants.find("acme"))?.id).toBe(id);
      });

      it("refuses at once a read through the outer store inside its open transaction, and reads after it", async () => {
        const store = await open();
        await store.tenants.create("acme");
        const started = Date.now();
        await expect(
          store.transaction(async (tx) => {
            await tx.tenants.create("zeta");
            await store.tenants.find("acme");
          }),
        ).rejects.toThrow(
          "read through the outer store while a transaction is open: use the transaction's store (tx) inside store.transaction(...)",
        );
        // A nested transaction through the outer store would wait for this one just the same.
        await expect(
          store.transaction(async () => store.transaction(async (tx) => tx.tenants.list())),
        ).rejects.toThrow(/transaction through the outer store while a transaction is open/);
        expect(Date.now() - started).toBeLessThan(2000);
        expect((await store.tenants.list()).map((t) => t.name)).toEqual(["acme"]);

        // Work merely started inside (a timer, a queued job) runs once the transaction ended.
        let later: Promise<string[]> | undefined;
        const inside = await store.transaction(async (tx) => {
          await tx.tenants.create("zeta");
          later = new Promise((resolve, reject) =>
            setTimeout(() => store.tenants.list().then((l) => resolve(l.map((t) => t.name)), reject), 20),
          );
          return (await tx.tenants.list()).map((t) => t.name);
        });
        expect(inside).toEqual(["acme", "zeta"]);
        expect(await later).toEqual(["acme", "zeta"]);
        expect((await store.tenants.find("zeta"))?.name).toBe("zeta");
      });

      it("does not refuse outer reads from outside while a transaction is open elsewhere", async () => {
        const store = await open();
        let release = () => {};
        const gate = new Promise<void>((resolve) => {
          release = resolve;
        });
        const writing = store.transaction(async (tx) => {
          await tx.tenants.create("acme");
          await gate;
        });
        const reading = store.tenants.list();
        release();
        await writing;
        await expect(reading).resolves.toBeInstanceOf(Array);
        expect((await store.tenants.list()).map((t) => t.name)).toEqual(["acme"]);
      });
    });

    describe("users, tokens and memberships", () => {
      it("tokens: create, findByHash with their owner and scope, revoke; hashes are unique", async () => {
        const store = await open();
        expect(await store.tokens.count()).toBe(0);
        const admin = await store.users.find("admin");
        expect(admin).toMatchObject({ admin: true, password_hash: null });
        const alice = await store.users.create("alice", "scrypt$x", false);
        const t = await store.tenants.create("acme");
        const dev = await store.environments.create(t.id, "dev");
        const a = await store.tokens.create({
          user_id: admin?.id as number,
          name: "admin",
          token_hash: "hash-a",
        });
        await store.tokens.create({
          user_id: alice.id,
          name: "ci",
          token_hash: "hash-b",
          tenant_id: t.id,
          env_id: dev.id,
          role: "developer",
          expires_at: "2030-01-01T00:00:00.000Z",
        });
        expect(await store.tokens.count()).toBe(2);
        expect(await store.tokens.findByHash("hash-a")).toMatchObject({
          name: "admin",
          user: "admin",
          user_admin: true,
          tenant: null,
          env: null,
          kind: "api",
          revoked_at: null,
        });
        expect(await store.tokens.findByHash("hash-b")).toMatchObject({
          name: "ci",
          user: "alice",
          tenant: "acme",
          env: "dev",
          role: "developer",
        });
        expect(await store.tokens.findByHash("hash-c")).toBeUndefined();
        expect(await store.tokens.findByHash("")).toBeUndefined();
        await expect(
          store.tokens.create({ user_id: alice.id, name: "again", token_hash: "hash-a" }),
        ).rejects.toThrow(d.errors.unique);
        await store.tokens.revoke(a);
        expect((await store.tokens.find(a))?.revoked_at).toMatch(/^\d{4}-/);
        expect((await store.tokens.list({ userId: alice.id })).map((x) => x.name)).toEqual(["ci"]);
      });

      it("a token never outlives its scope: deleting the environment, tenant or user deletes it", async () => {
        const store = await open();
        const bob = await store.users.create("bob", null, false);
        const t = await store.tenants.create("acme");
        const prod = await store.environments.create(t.id, "prod");
        const scoped = (name: string, extra: object) =>
          store.tokens.create({ user_id: bob.id, name, token_hash: `h-${name}`, ...extra });
        await scoped("env", { tenant_id: t.id, env_id: prod.id });
        await scoped("tenant", { tenant_id: t.id });
        await scoped("mine", {});
        await store.memberships.put(t.id, bob.id, "viewer");
        await store.environments.delete(prod.id);
        expect((await store.tokens.list({ userId: bob.id })).map((x) => x.name).sort()).toEqual([
          "mine",
          "tenant",
        ]);
        await store.tenants.delete(t.id);
        expect((await store.tokens.list({ userId: bob.id })).map((x) => x.name)).toEqual(["mine"]);
        expect(await store.memberships.ofUser(bob.id)).toEqual([]);
        await store.users.delete(bob.id);
        expect(await store.tokens.list({ userId: bob.id })).toEqual([]);
      });

      it("memberships: put adds or changes the role, remove removes", async () => {
        const store = await open();
        const u = await store.users.create("carol", null, false);
        const t = await store.tenants.create("acme");
        await store.memberships.put(t.id, u.id, "viewer");
        await store.memberships.put(t.id, u.id, "owner");
        expect(await store.memberships.roleOf(t.id, u.id)).toBe("owner");
        expect((await store.memberships.ofTenant(t.id)).map((m) => [m.user, m.role])).toEqual([
          ["carol", "owner"],
        ]);
        expect(await store.memberships.remove(t.id, u.id)).toBe(1);
        expect(await store.memberships.roleOf(t.id, u.id)).toBeUndefined();
      });
    });

    describe("canaries, app routes and certificates", () => {
      const canaryRow = (appId: number, envId: number, release: number) => ({
        app_id: appId,
        env_id: envId,
        mode: "canary",
        phase: "starting",
        release,
        stable_release: 1,
        replicas: 1,
        health_timeout_s: 60,
        rules: { headers: [], cookie: null, sourceCidrs: [], weight: 10 },
        rollout: null,
        step_index: 0,
        step_started_at: null,
        message: "starting",
        started_at: "2025-01-01T00:00:00.000Z",
      });

      it("finds the active canary, lists active ones with names, and updates only from the given phases", async () => {
        const store = await open();
        const { prod, web } = await seed(store);
        const first = await store.canaries.insert(canaryRow(web.id, prod.id, 2));
        expect(await store.canaries.update(first.id, { phase: "aborted" })).toBe(true);
        expect(await store.canaries.update(first.id, { phase: "running" })).toBe(false);
        expect(await store.canaries.findActive(web.id, prod.id)).toBeUndefined();
        const second = await store.canaries.insert(canaryRow(web.id, prod.id, 3));
        expect((await store.canaries.findActive(web.id, prod.id))?.id).toBe(second.id);
        expect((await store.canaries.findLatest(web.id, prod.id))?.release).toBe(3);
        expect(await store.canaries.update(second.id, { phase: "promoting" }, ["running"])).toBe(false);
        const active = await store.canaries.listActive();
        expect(active.map((c) => [c.tenant, c.env, c.app, c.release])).toEqual([["acme", "prod", "web", 3]]);
      });

      it("returns decoded records, and names the row when a stored column was damaged", async () => {
        const store = await open();
        const { prod, web } = await seed(store);
        const canary = await store.canaries.insert(canaryRow(web.id, prod.id, 2));
        expect(canary.rules).toEqual({ headers: [], cookie: null, sourceCidrs: [], weight: 10 });
        const release = await store.releases.create(newRelease(web.id, prod.id));
        // Nothing stored but port and health path: the resources come back complete.
        expect(release.resources).toMatchObject({ port: 8080, healthPath: "/healthz", healthCheck: "http" });
        expect(release.config).toEqual({});
        // Written by an older Berth under looser input rules: still read (input rules are not
        // storage rules, decision 99).
        await d.rows(
          `update releases set resources_json = '{"healthPath": "/a/./b"}' where id = ${release.id} returning id`,
        );
        expect((await store.releases.find(web.id, prod.id, release.number))?.resources.healthPath).toBe(
          "/a/./b",
        );
        // A stored null is "not set": the default, never a null list.
        await d.rows(
          `update releases set resources_json = '{"placement": {"constraints": null, "spread": null}}' where id = ${release.id} returning id`,
        );
        expect((await store.releases.find(web.id, prod.id, release.number))?.resources.placement).toEqual({
          constraints: [],
          spread: null,
          maxPerNode: null,
          reserveCpus: null,
          reserveMemoryMb: null,
        });
        await d.rows(
          `update canaries set rules = '{"sourceCidrs": ["::ffff:10.0.0.0/104"]}' where id = ${canary.id} returning id`,
        );
        expect((await store.canaries.findActive(web.id, prod.id))?.rules).toEqual({
          headers: [],
          cookie: null,
          sourceCidrs: ["::ffff:10.0.0.0/104"],
          weight: 0,
        });
        await d.rows(`update canaries set rules = '{"weight": "half"}' where id = ${canary.id} returning id`);
        await expect(store.canaries.findActive(web.id, prod.id)).rejects.toThrow(
          `the store holds an invalid value in canary ${canary.id} column rules at weight`,
        );
        await d.rows(`update releases set config_json = '{"A": ' where id = ${release.id} returning id`);
        await expect(store.releases.find(web.id, prod.id, release.number)).rejects.toThrow(
          `the store holds malformed JSON in release ${release.number} (id ${release.id}) column config_json`,
        );
      });

      it("keeps host and path unique across apps, and one certificate per host", async () => {
        const store = await open();
        const { prod, web } = await seed(store);
        const route = {
          app_id: web.id,
          env_id: prod.id,
          host: "www.example.com",
          path: "/",
          tls: "internal",
          redirect_https: true,
          created_at: "2025-01-01T00:00:00.000Z",
        };
        const r = await store.appRoutes.insert(route);
        await expect(store.appRoutes.insert(route)).rejects.toThrow(d.errors.unique);
        await store.appRoutes.insert({ ...route, path: "/api" });
        expect((await store.appRoutes.listAll()).map((x) => [x.app, x.host, x.path])).toEqual([
          ["web", "www.example.com", "/"],
          ["web", "www.example.com", "/api"],
        ]);
        const cert = {
          host: "www.example.com",
          issuer: "internal",
          cert_pem: "C",
          key_pem: "K",
          not_after: "2026-01-01T00:00:00.000Z",
          fingerprint: "f1",
        };
        await store.certificates.put(cert);
        await store.certificates.put({ ...cert, fingerprint: "f2" });
        expect((await store.certificates.listAll()).map((c) => c.fingerprint)).toEqual(["f2"]);
        await store.appRoutes.remove(r.id);
        expect((await store.appRoutes.findByHost("www.example.com")).map((x) => x.path)).toEqual(["/api"]);
        await store.certificates.remove("www.example.com");
        expect(await store.certificates.find("www.example.com")).toBeUndefined();
      });
    });

    describe("what differs between SQL dialects", () => {
      it("lists names in byte order, as SQLite compares text", async () => {
        const store = await open();
        for (const name of ["ab", "a-c", "B", "a_b", "a1"]) await store.tenants.create(name);
        expect((await store.tenants.list()).map((t) => t.name)).toEqual(["B", "a-c", "a1", "a_b", "ab"]);
      });

      it("keeps fractional quotas exact, and counts and deletions as numbers", async () => {
        const store = await open();
        const t = await store.tenants.create("acme");
        await store.quotas.put(t.id, 0, { cpus: 1 / 3, memory_mb: 512, replicas: null, apps: 2 });
        expect(await store.quotas.list(t.id)).toMatchObject([
          { env_id: 0, cpus: 1 / 3, memory_mb: 512, replicas: null, apps: 2 },
        ]);
        expect(await store.apps.count(t.id)).toBe(0);
        expect(await store.users.countAdmins()).toBe(1);
        await store.exceptions.put(t.id, "capabilities", ["NET_ADMIN"], "vpn", "admin");
        expect(await store.exceptions.remove(t.id, "capabilities")).toBe(1);
        expect(await store.exceptions.remove(t.id, "capabilities")).toBe(0);
      });

      it("backs up SQLite through the store; PostgreSQL's backup is refused in favour of pg_dump", async () => {
        const store = await open();
        const target = join(dir, "backup.db");
        if (d.name === "SQLite") {
          await store.backup(target);
          expect((await stat(target)).size).toBeGreaterThan(0);
        } else {
          await expect(store.backup(target)).rejects.toMatchObject({
            name: "DomainError",
            code: "invalid",
            message: expect.stringMatching(/pg_dump/),
          });
        }
      });
    });
  });
}
