import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import SqliteDatabase from "better-sqlite3";
import { Kysely, Migrator, SqliteDialect, sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { copySqliteToPostgres } from "../../src/store/copy-store.js";
import { sqliteId } from "../../src/store/migrations/id-column.js";
import { migrationProvider } from "../../src/store/migrations/migration-provider.js";
import { openPostgresStore } from "../../src/store/open-postgres-store.js";
import { openSqliteStore } from "../../src/store/open-sqlite-store.js";
import type { Store } from "../../src/store/store.js";
import { createTestDatabase, skipPostgres, type TestDatabase } from "../support/postgres-test-database.js";

const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const TSX = join(ROOT, "node_modules", ".bin", "tsx");

let dir: string;
let file: string;
let target: TestDatabase | undefined;
const opened: Store[] = [];
const children: ChildProcess[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "berth-migrate-store-"));
  file = join(dir, "berth.db");
  // Without BERTH_TEST_POSTGRES_URL this fails every test here, saying how to start the cluster.
  if (!skipPostgres) target = await createTestDatabase();
});

afterEach(async () => {
  for (const child of children.splice(0)) child.kill();
  for (const store of opened.splice(0)) await store.close();
  await target?.drop();
  target = undefined;
  await rm(dir, { recursive: true, force: true });
});

function targetDb(): TestDatabase {
  if (!target) throw new Error("no PostgreSQL test database: creating it failed");
  return target;
}

async function track(store: Promise<Store>): Promise<Store> {
  const s = await store;
  opened.push(s);
  return s;
}

/** Rows per table as SQLite holds them, Berth's tables only. */
function sqliteCounts(path: string): Record<string, number> {
  const db = new SqliteDatabase(path, { readonly: true });
  try {
    const tables = db
      .prepare(
        "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like 'kysely_%'",
      )
      .all() as { name: string }[];
    return Object.fromEntries(
      tables.map(({ name }) => [
        name,
        (db.prepare(`select count(*) as n from "${name}"`).get() as { n: number }).n,
      ]),
    );
  } finally {
    db.close();
  }
}

/** A little of everything Berth stores, written the way the server writes it. */
async function fill(store: Store) {
  const acme = await store.tenants.create("acme");
  const zeta = await store.tenants.create("zeta");
  const dev = await store.environments.create(acme.id, "dev");
  const prod = await store.environments.create(acme.id, "prod");
  await store.environments.setMinRole(prod.id, "maintainer");
  const web = await store.apps.create(acme.id, "web");
  const api = await store.apps.create(acme.id, "api");
  await store.apps.create(zeta.id, "site");
  for (const env of [dev, prod])
    for (const image of ["web:1", "web:2"])
      await store.releases.create({
        app_id: web.id,
        env_id: env.id,
        image,
        image_id: `sha256:${"b".repeat(64)}`,
        port: 8080,
        health_path: "/healthz",
        source: "image",
        rolled_back_from: null,
      });
  await store.deployments.insert(web.id, prod.id, { release: 2, replicas: 3, health_timeout_s: 60 });
  await store.deploymentStatus.write(web.id, prod.id, {
    serving_release: 2,
    observed_release: 2,
    observed_generation: 1,
    phase: "serving",
    message: "release 2 is serving",
    rollout_started_at: null,
  });
  await store.events.append(web.id, prod.id, 2, "switched", "traffic on release 2");
  // More rows than one insert batch takes.
  await store.transaction(async (tx) => {
    for (let i = 0; i < 2100; i++) await tx.events.append(web.id, prod.id, 2, "probe", `probe ${i}`);
  });
  await store.endpoints.replace(web.id, prod.id, [
    { container_id: "c1", address: "127.0.0.1", port: 31001, release: 2 },
  ]);
  await store.config.putEntry({ tenantId: acme.id, appId: 0, envId: 0 }, "LOG_LEVEL", false, "info");
  await store.config.putEntry(
    { tenantId: acme.id, appId: web.id, envId: prod.id },
    "DB_PASSWORD",
    true,
    "sealed",
  );
  await store.config.putFile({ tenantId: acme.id, appId: web.id, envId: 0 }, "/app/a.conf", "a=1");
  await store.config.putSetting({ tenantId: acme.id, appId: web.id, envId: prod.id }, "replicas", 3);
  const alice = await store.users.create("alice", "scrypt$x", false);
  await store.memberships.put(acme.id, alice.id, "developer");
  const admin = await store.users.find("admin");
  await store.tokens.create({ user_id: admin?.id as number, name: "admin", token_hash: "hash-admin" });
  await store.tokens.create({
    user_id: alice.id,
    name: "ci",
    token_hash: "hash-ci",
    tenant_id: acme.id,
    env_id: dev.id,
    role: "developer",
  });
  await store.quotas.put(acme.id, 0, { cpus: 2.5, memory_mb: 4096, replicas: 20, apps: 10 });
  await store.exceptions.put(acme.id, "capabilities", ["NET_ADMIN"], "vpn sidecar", "admin");
  await store.links.create({ appId: web.id, envId: prod.id }, { appId: api.id, envId: prod.id }, "admin");
  await store.appRoutes.insert({
    app_id: web.id,
    env_id: prod.id,
    host: "www.example.com",
    path: "/",
    tls: "internal",
    redirect_https: true,
    created_at: "2025-01-01T00:00:00.000Z",
  });
  await store.certificates.put({
    host: "www.example.com",
    issuer: "internal",
    cert_pem: "C",
    key_pem: "K",
    not_after: "2026-01-01T00:00:00.000Z",
    fingerprint: "f1",
  });
  for (const [i, action] of ["tenant.create", "app.create", "deploy"].entries())
    await store.audit.append({
      at: `2025-01-01T00:00:0${i}.000Z`,
      actor: "admin",
      token_id: 1,
      tenant: "acme",
      env: i === 2 ? "prod" : null,
      action,
      target: "/api/v1/tenants/acme",
      result: 200 + i,
      source: "127.0.0.1",
      detail: null,
      object_kind: null,
      object_name: null,
      change: null,
    });
  await store.canaries.insert({
    app_id: web.id,
    env_id: prod.id,
    mode: "canary",
    phase: "aborted",
    release: 2,
    stable_release: 1,
    replicas: 1,
    health_timeout_s: 60,
    rules: { headers: [], cookie: null, sourceCidrs: [], weight: 0 },
    rollout: null,
    step_index: 0,
    step_started_at: null,
    message: "aborted",
    started_at: "2025-01-01T00:00:00.000Z",
  });
  return { acme, prod, web, alice };
}

describe.skipIf(skipPostgres)("copying a SQLite store into PostgreSQL", () => {
  it("copies every table with its ids, and PostgreSQL serves the same data afterwards", async () => {
    const source = await openSqliteStore(file);
    const { acme, prod, web, alice } = await fill(source);
    await source.close();
    const before = sqliteCounts(file);

    const copy = await copySqliteToPostgres(file, targetDb().url);
    expect(copy.from).toBe(file);
    expect(Object.fromEntries(copy.tables.map((t) => [t.table, t.rows]))).toEqual(before);
    expect(copy.rows).toBe(Object.values(before).reduce((a, b) => a + b, 0));
    // Parents come before children.
    const at = (table: string) => copy.tables.findIndex((t) => t.table === table);
    expect(at("tenants")).toBeLessThan(at("environments"));
    expect(at("apps")).toBeLessThan(at("releases"));
    expect(at("users")).toBeLessThan(at("api_tokens"));
    expect(at("clusters")).toBeLessThan(at("environments"));

    const pg = await track(openPostgresStore(targetDb().url));
    expect((await pg.tenants.list()).map((t) => [t.id, t.name])).toEqual([
      [acme.id, "acme"],
      [acme.id + 1, "zeta"],
    ]);
    expect((await pg.environments.find(acme.id, "prod"))?.min_role).toBe("maintainer");
    expect((await pg.releases.list(web.id, prod.id)).map((r) => [r.number, r.image])).toEqual([
      [2, "web:2"],
      [1, "web:1"],
    ]);
    expect(await pg.deployments.findByNames("acme", "prod", "web")).toMatchObject({
      serving_release: 2,
      replicas: 3,
      phase: "serving",
    });
    const events = await pg.events.list(web.id, prod.id, 0, 5000);
    expect(events).toHaveLength(2101);
    expect(events.at(-1)?.message).toBe("probe 2099");
    expect(await pg.events.lastId(web.id, prod.id)).toBe(2101);
    expect((await pg.endpoints.listRouted())[0]?.endpoints).toEqual([
      { address: "127.0.0.1", port: 31001, release: 2, containerId: "c1" },
    ]);
    const layers = await pg.config.layersFor({ tenantId: acme.id, appId: web.id, envId: prod.id });
    expect(layers.entries.map((e) => [e.key, e.secret, e.value])).toEqual([
      ["DB_PASSWORD", true, "sealed"],
      ["LOG_LEVEL", false, "info"],
    ]);
    expect(await pg.tokens.findByHash("hash-ci")).toMatchObject({
      user: "alice",
      tenant: "acme",
      env: "dev",
      role: "developer",
    });
    expect(await pg.memberships.roleOf(acme.id, alice.id)).toBe("developer");
    expect(await pg.quotas.list(acme.id)).toMatchObject([{ cpus: 2.5, memory_mb: 4096 }]);
    expect((await pg.audit.list({ limit: 10 })).map((r) => [r.action, r.result])).toEqual([
      ["tenant.create", 200],
      ["app.create", 201],
      ["deploy", 202],
    ]);
    // Ids and contents came over unchanged, so the audit chain still holds.
    expect((await pg.audit.verify()).problems).toEqual([]);

    // New rows get ids after the copied ones.
    const next = await pg.tenants.create("later");
    expect(next.id).toBe(acme.id + 2);
    expect((await pg.users.create("bob", null, false)).id).toBe(alice.id + 1);
    const third = await pg.releases.create({
      app_id: web.id,
      env_id: prod.id,
      image: "web:3",
      image_id: `sha256:${"c".repeat(64)}`,
      port: 8080,
      health_path: "/healthz",
      source: "image",
      rolled_back_from: null,
    });
    expect([third.id, third.number]).toEqual([5, 3]);
  });

  it("migrates an older SQLite file first", async () => {
    const sqlite = new SqliteDatabase(file);
    const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: sqlite }) });
    const migrator = new Migrator({ db, provider: migrationProvider(sqliteId) });
    expect((await migrator.migrateTo("005-tenancy")).error).toBeUndefined();
    await sql`insert into tenants (name, created_at) values ('old', '2025-01-01')`.execute(db);
    await db.destroy();

    const copy = await copySqliteToPostgres(file, targetDb().url);
    expect(copy.tables.find((t) => t.table === "tenants")?.rows).toBe(1);
    const pg = await track(openPostgresStore(targetDb().url));
    expect((await pg.tenants.list()).map((t) => t.name)).toEqual(["old"]);
    const migrated = new SqliteDatabase(file, { readonly: true });
    const names = (migrated.prepare("select name from kysely_migration").all() as { name: string }[]).map(
      (r) => r.name,
    );
    migrated.close();
    expect(names).toEqual(Object.keys(await migrationProvider(sqliteId).getMigrations()));
  });

  it("refuses a target that already holds Berth data, and changes nothing there", async () => {
    const source = await openSqliteStore(file);
    await fill(source);
    await source.close();
    const existing = await track(openPostgresStore(targetDb().url));
    await existing.tenants.create("other");
    await existing.tokens.create({ user_id: 1, name: "admin", token_hash: "hash-there" });

    await expect(copySqliteToPostgres(file, targetDb().url)).rejects.toThrow(
      /already holds Berth data in tenants \(1\), api_tokens \(1\): copy into a new, empty database/,
    );
    expect((await existing.tenants.list()).map((t) => t.name)).toEqual(["other"]);
    expect((await existing.users.list()).map((u) => u.name)).toEqual(["admin"]);
    expect(await existing.tokens.count()).toBe(1);
    expect((await targetDb().query<{ n: string }>("select count(*) as n from releases"))[0]?.n).toBe("0");
  });
});

/** Runs the berth CLI from source, with an argument array; resolves with its exit code and output. */
function berth(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(TSX, [join(ROOT, "src", "berth.ts"), ...args], { cwd: ROOT }, (error, stdout, stderr) => {
      const code = error ? ((error as { code?: number }).code ?? 1) : 0;
      done({ code: typeof code === "number" ? code : 1, stdout, stderr });
    });
  });
}

describe.skipIf(skipPostgres)("berth admin migrate-store", () => {
  it("refuses while the server runs, then copies and prints each table and what to do next", async () => {
    const source = await openSqliteStore(file);
    await fill(source);
    await source.close();
    const before = sqliteCounts(file);

    // Stands in for a running server: a live process whose command line says berth.
    const server = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)", "berth-server"], {
      stdio: "ignore",
    });
    children.push(server);
    await writeFile(join(dir, "server.pid"), `${server.pid}\n`);
    const refused = await berth(["admin", "migrate-store", "--to", targetDb().url, "--data-dir", dir]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(
      `berth: a Berth server (pid ${server.pid}) runs on ${dir}: stop the server first`,
    );
    server.kill();
    await new Promise((r) => server.once("exit", r));

    const url = new URL(targetDb().url);
    url.password = "s3cret";
    const ran = await berth(["admin", "migrate-store", "--to", url.toString(), "--data-dir", dir]);
    expect(ran.stderr).toBe("");
    expect(ran.code).toBe(0);
    expect(ran.stdout).not.toContain("s3cret");
    const lines = ran.stdout.trim().split("\n");
    const tables = Object.keys(before);
    expect(lines).toHaveLength(tables.length + 1);
    for (const table of tables)
      expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^${table} +${before[table]}$`)));
    const total = Object.values(before).reduce((a, b) => a + b, 0);
    expect(lines.at(-1)).toBe(
      `copied ${total} rows in ${tables.length} tables from ${file} to ${targetDb().url} (password hidden); start the server with --database URL --data-dir ${dir} (its key ring opens the secrets)`,
    );
    const pg = await track(openPostgresStore(targetDb().url));
    expect((await pg.tenants.list()).map((t) => t.name)).toEqual(["acme", "zeta"]);
  });
});
