import { existsSync } from "node:fs";
import SqliteDatabase from "better-sqlite3";
import { Kysely, SqliteDialect, sql } from "kysely";
import { connectPostgres } from "./connect-postgres.js";
import { maskDatabaseUrl } from "./mask-database-url.js";
import { migrateToLatest } from "./migrate-to-latest.js";
import { sqliteId } from "./migrations/id-column.js";
import { migrationProvider } from "./migrations/migration-provider.js";
import { WRITERS_LOCK } from "./open-postgres-store.js";
import { openSqliteStore } from "./open-sqlite-store.js";
import type { Database } from "./schema.js";

export interface StoreCopy {
  /** The SQLite file copied from. */
  from: string;
  /** The PostgreSQL URL copied to, password hidden. */
  to: string;
  /** Every table in the order it was copied, with the rows it now holds on both sides. */
  tables: { table: string; rows: number }[];
  rows: number;
}

type Row = Record<string, unknown>;

/**
 * Copies a stopped SQLite install into an empty PostgreSQL database, both migrated to the
 * latest schema first: table by table in foreign-key order, ids kept, each id sequence moved past
 * the copied ids, all in one PostgreSQL transaction that commits only if every table's row count
 * matches the source's. Rows the migrations themselves seed (the bootstrap admin, say) are
 * replaced by the source's.
 */
export async function copySqliteToPostgres(file: string, url: string): Promise<StoreCopy> {
  if (!existsSync(file))
    throw new Error(`there is no Berth database at ${file}: pass the install's --data-dir`);
  if (await hasPendingMigrations(file)) await (await openSqliteStore(file)).close();
  const source = new SqliteDatabase(file, { readonly: true, fileMustExist: true });
  const target = await connectPostgres(url);
  try {
    const seeded = await seededRows();
    const tables = copyOrder(source);
    const copied = await target.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(${WRITERS_LOCK})`.execute(trx);
      const held: string[] = [];
      for (const table of tables) {
        const n = await countRows(trx, table);
        if (n !== (seeded.get(table) ?? 0)) held.push(`${table} (${n})`);
      }
      if (held.length > 0)
        throw new Error(
          `the PostgreSQL database ${maskDatabaseUrl(url)} already holds Berth data in ${held.join(", ")}: copy into a new, empty database`,
        );
      // Seeded rows go first, children before parents; nothing else refers to them yet.
      for (const table of [...tables].reverse())
        if (seeded.has(table)) await sql`delete from ${sql.table(table)}`.execute(trx);
      const read = new Map<string, number>();
      for (const table of tables) {
        read.set(
          table,
          await insertAll(trx, table, source.prepare(`select * from "${table}" order by rowid`)),
        );
        await moveSequencePastIds(trx, table);
      }
      // Counted once everything is in, so nothing a later table did (a trigger, a cascade) goes unseen.
      const result: { table: string; rows: number }[] = [];
      for (const table of tables) {
        const there = await countRows(trx, table);
        if (there !== read.get(table))
          throw new Error(
            `copying ${table} left ${there} rows in PostgreSQL for ${read.get(table)} in SQLite; nothing was committed`,
          );
        result.push({ table, rows: there });
      }
      return result;
    });
    return {
      from: file,
      to: maskDatabaseUrl(url),
      tables: copied,
      rows: copied.reduce((sum, t) => sum + t.rows, 0),
    };
  } finally {
    source.close();
    await target.destroy();
  }
}

async function hasPendingMigrations(file: string): Promise<boolean> {
  const known = Object.keys(await migrationProvider(sqliteId).getMigrations());
  const db = new SqliteDatabase(file, { readonly: true, fileMustExist: true });
  try {
    const applied = new Set(
      (db.prepare("select name from kysely_migration").all() as { name: string }[]).map((r) => r.name),
    );
    return known.some((name) => !applied.has(name));
  } catch {
    return true; // no kysely_migration table yet: an empty or a very old file
  } finally {
    db.close();
  }
}

/** How many rows the migrations alone put in each table: what an empty target holds. */
async function seededRows(): Promise<Map<string, number>> {
  const memory = new SqliteDatabase(":memory:");
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: memory }) });
  try {
    await migrateToLatest(db, sqliteId);
    const seeded = new Map<string, number>();
    for (const table of copyOrder(memory)) {
      const { n } = memory.prepare(`select count(*) as n from "${table}"`).get() as { n: number };
      if (n > 0) seeded.set(table, n);
    }
    return seeded;
  } finally {
    await db.destroy();
  }
}

/** Berth's tables, parents before children; ties keep the order the migrations made them in. */
function copyOrder(db: SqliteDatabase.Database): string[] {
  const tables = (
    db
      .prepare(
        "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like 'kysely_%' order by rowid",
      )
      .all() as { name: string }[]
  ).map((r) => r.name);
  const parents = new Map(
    tables.map((t) => {
      const refs = db.prepare('select distinct "table" as parent from pragma_foreign_key_list(?)').all(t) as {
        parent: string;
      }[];
      return [t, new Set(refs.map((r) => r.parent).filter((p) => p !== t))];
    }),
  );
  const order: string[] = [];
  while (order.length < tables.length) {
    const next = tables.find(
      (t) => !order.includes(t) && [...(parents.get(t) ?? [])].every((p) => order.includes(p)),
    );
    if (!next)
      throw new Error(
        `the tables ${tables.filter((t) => !order.includes(t)).join(", ")} refer to each other in a cycle`,
      );
    order.push(next);
  }
  return order;
}

/** Streams the statement's rows into `table` a batch at a time (the audit log may be large); returns how many. */
async function insertAll(
  db: Kysely<Database>,
  table: string,
  rows: SqliteDatabase.Statement,
): Promise<number> {
  let columns: string[] = [];
  let batch: Row[] = [];
  let n = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const values = batch.map((row) => sql`(${sql.join(columns.map((c) => row[c] ?? null))})`);
    await sql`insert into ${sql.table(table)} (${sql.join(columns.map((c) => sql.ref(c)))}) values ${sql.join(values)}`.execute(
      db,
    );
    batch = [];
  };
  for (const row of rows.iterate() as IterableIterator<Row>) {
    if (n === 0) columns = Object.keys(row);
    batch.push(row);
    n++;
    // PostgreSQL takes at most 65535 parameters per statement.
    if (batch.length >= Math.min(1000, Math.floor(60_000 / columns.length))) await flush();
  }
  await flush();
  return n;
}

/** Rows were inserted with their ids, so the next id a serial column hands out must come after them. */
async function moveSequencePastIds(db: Kysely<Database>, table: string): Promise<void> {
  const { rows } = await sql<{ seq: string | null }>`
    select pg_get_serial_sequence(${table}, column_name) as seq
    from information_schema.columns
    where table_schema = current_schema() and table_name = ${table} and column_name = 'id'`.execute(db);
  const seq = rows[0]?.seq;
  if (!seq) return;
  await sql`select setval(${seq}, coalesce((select max(id) from ${sql.table(table)}), 1), (select count(*) > 0 from ${sql.table(table)}))`.execute(
    db,
  );
}

async function countRows(db: Kysely<Database>, table: string): Promise<number> {
  const { rows } = await sql<{ n: string | number }>`select count(*) as n from ${sql.table(table)}`.execute(
    db,
  );
  return Number(rows[0]?.n ?? 0);
}
