import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import SqliteDatabase from "better-sqlite3";
import { Kysely, Migrator, SqliteDialect } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { auditHash } from "../../src/store/audit-chain.js";
import type { NewAuditRow } from "../../src/store/audit-repository.js";
import { sqliteId } from "../../src/store/migrations/id-column.js";
import { migrationProvider } from "../../src/store/migrations/migration-provider.js";
import { openSqliteStore } from "../../src/store/open-sqlite-store.js";
import type { Store } from "../../src/store/store.js";

/**
 * The audit log's hash chain on a real SQLite file: rows are changed behind Berth's back with a
 * plain second connection, the way someone with access to the file would, and verify must find
 * each change and say which row.
 */
let dir: string;
let file: string;
let store: Store;
let raw: SqliteDatabase.Database;

const row = (n: number, extra: Partial<NewAuditRow> = {}): NewAuditRow => ({
  at: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
  actor: "alice",
  token_id: 7,
  tenant: "acme",
  env: "prod",
  action: "PATCH /tenants/{tenant}/config",
  target: "/tenants/acme/config",
  result: 200,
  source: "127.0.0.1",
  detail: null,
  object_kind: "app",
  object_name: "web",
  change: `set=KEY${n}`,
  ...extra,
});

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "berth-audit-"));
  file = join(dir, "berth.db");
  store = await openSqliteStore(file);
  for (let n = 1; n <= 6; n++) await store.audit.append(row(n));
  raw = new SqliteDatabase(file);
});
afterEach(async () => {
  raw.close();
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

describe("audit hash chain", () => {
  it("chains every appended row to the one before, and an untouched log verifies", async () => {
    const rows = await store.audit.list({ limit: 100 });
    expect(rows).toHaveLength(6);
    for (let i = 1; i < rows.length; i++) expect(rows[i]?.prev_hash).toBe(rows[i - 1]?.hash);
    expect(await store.audit.verify()).toEqual({ rows: 6, head: rows[5]?.hash, problems: [] });
    // Racing appends (concurrent API calls) never fork the chain, and rows appended while a
    // verify walks are not taken for tampering.
    const [during] = await Promise.all([
      store.audit.verify(),
      ...Array.from({ length: 20 }, (_, i) => store.audit.append(row(10 + i))),
    ]);
    expect(during.problems).toEqual([]);
    expect(await store.audit.verify()).toMatchObject({ rows: 26, problems: [] });
  });

  it("finds a row edited in place", async () => {
    raw.prepare("update audit_log set actor = 'mallory' where id = 3").run();
    expect((await store.audit.verify()).problems).toEqual([{ id: 3, problem: "edited" }]);
  });

  it("finds a row edited with its hash recomputed: the row after no longer links to it", async () => {
    const r = raw.prepare("select * from audit_log where id = 3").get() as Record<string, unknown>;
    const forged = { ...r, result: 403 } as Parameters<typeof auditHash>[0];
    raw.prepare("update audit_log set result = 403, hash = ? where id = 3").run(auditHash(forged));
    expect((await store.audit.verify()).problems).toEqual([{ id: 4, problem: "deleted-before" }]);
  });

  it("finds a deleted row, naming the row that follows the gap", async () => {
    raw.prepare("delete from audit_log where id = 4").run();
    expect((await store.audit.verify()).problems).toEqual([{ id: 5, problem: "deleted-before" }]);
  });

  it("finds a row inserted between two others, even with a well-formed hash and link", async () => {
    raw.prepare("update audit_log set id = id + 100 where id >= 4").run();
    const before = raw.prepare("select hash from audit_log where id = 3").get() as { hash: string };
    const forged = { ...row(99, { actor: "mallory" }), id: 4, prev_hash: before.hash };
    raw
      .prepare(
        `insert into audit_log (id, at, actor, token_id, tenant, env, action, target, result, source, detail,
          object_kind, object_name, change, prev_hash, hash)
         values (@id, @at, @actor, @token_id, @tenant, @env, @action, @target, @result, @source, @detail,
          @object_kind, @object_name, @change, @prev_hash, @hash)`,
      )
      .run({ ...forged, hash: auditHash(forged) });
    // The forged row is named; the rows moved to make room for it no longer match their hashes.
    expect((await store.audit.verify()).problems).toEqual([
      { id: 4, problem: "inserted" },
      { id: 104, problem: "edited" },
      { id: 105, problem: "edited" },
      { id: 106, problem: "edited" },
    ]);
  });

  it("finds rows appended behind Berth's back, and rows cut from the end", async () => {
    const last = raw.prepare("select hash from audit_log where id = 6").get() as { hash: string };
    const forged = { ...row(7, { actor: "mallory" }), id: 7, prev_hash: last.hash };
    raw
      .prepare(
        `insert into audit_log (id, at, actor, token_id, tenant, env, action, target, result, source, detail,
          object_kind, object_name, change, prev_hash, hash)
         values (@id, @at, @actor, @token_id, @tenant, @env, @action, @target, @result, @source, @detail,
          @object_kind, @object_name, @change, @prev_hash, @hash)`,
      )
      .run({ ...forged, hash: auditHash(forged) });
    expect((await store.audit.verify()).problems).toEqual([{ id: 7, problem: "inserted" }]);
    raw.prepare("delete from audit_log where id >= 6").run();
    expect((await store.audit.verify()).problems).toEqual([{ id: 6, problem: "missing-at-end" }]);
  });

  it("finds a log rewritten whole, hashes and head recomputed, only against a head kept outside", async () => {
    const kept = (await store.audit.verify()).head;
    expect((await store.audit.verify(kept)).problems).toEqual([]);
    // Someone with the file edits row 3 and recomputes every hash after it, and the head.
    raw.prepare("update audit_log set actor = 'mallory' where id = 3").run();
    let previous = (raw.prepare("select hash from audit_log where id = 2").get() as { hash: string }).hash;
    for (let id = 3; id <= 6; id++) {
      const r = raw.prepare("select * from audit_log where id = ?").get(id) as Record<string, unknown>;
      const hash = auditHash({ ...r, prev_hash: previous } as Parameters<typeof auditHash>[0]);
      raw.prepare("update audit_log set prev_hash = ?, hash = ? where id = ?").run(previous, hash, id);
      previous = hash;
    }
    raw.prepare("update audit_chain set head = ?").run(previous);
    // Consistent in itself: only the kept head shows it.
    expect((await store.audit.verify()).problems).toEqual([]);
    expect((await store.audit.verify(kept)).problems).toEqual([{ id: 0, problem: "head-not-found" }]);
  });

  it("chains the rows of an install from before the chain when it migrates, so they verify too", async () => {
    const old = join(dir, "old.db");
    const sqlite = new SqliteDatabase(old);
    const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: sqlite }) });
    const migrator = new Migrator({ db, provider: migrationProvider(sqliteId) });
    expect((await migrator.migrateTo("006-clusters")).error).toBeUndefined();
    for (let n = 1; n <= 3; n++)
      sqlite
        .prepare(
          "insert into audit_log (at, actor, token_id, tenant, action, target, result, source, detail) values (?, 'admin', null, 'acme', 'POST /tenants', '/tenants', 201, '127.0.0.1', null)",
        )
        .run(new Date(Date.UTC(2025, 0, n)).toISOString());
    await db.destroy();
    const upgraded = await openSqliteStore(old);
    try {
      await upgraded.audit.append(row(4));
      const report = await upgraded.audit.verify();
      expect(report).toMatchObject({ rows: 4, problems: [] });
      const check = new SqliteDatabase(old);
      check.prepare("update audit_log set tenant = 'other' where id = 2").run();
      check.close();
      expect((await upgraded.audit.verify()).problems).toEqual([{ id: 2, problem: "edited" }]);
    } finally {
      await upgraded.close();
    }
  });
});
