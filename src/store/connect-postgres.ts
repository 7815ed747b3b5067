import { Kysely, PostgresDialect, sql } from "kysely";
import pg from "pg";
import { maskDatabaseUrl } from "./mask-database-url.js";
import { migrateToLatest } from "./migrate-to-latest.js";
import { postgresId } from "./migrations/id-column.js";
import type { Database } from "./schema.js";

/** Collations that order text by code point, which for UTF-8 is SQLite's byte order. */
const BYTE_ORDER = new Set(["C", "POSIX", "C.UTF-8", "C.utf8"]);

/**
 * A pool on the PostgreSQL database at `url`, checked to sort text as SQLite does and migrated
 * to the latest schema. Errors name the URL without its password.
 */
export async function connectPostgres(url: string): Promise<Kysely<Database>> {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  // An idle connection the server drops (e.g. it restarted) must not crash the process; the
  // pool replaces it and the next query says what is wrong.
  pool.on("error", () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    await checkDatabase(db, url);
    await migrateToLatest(db, postgresId);
    return db;
  } catch (error) {
    await db.destroy();
    throw error;
  }
}

async function checkDatabase(db: Kysely<Database>, url: string): Promise<void> {
  let row: Record<string, unknown> | undefined;
  try {
    // select *: datlocprovider exists from PostgreSQL 15 on.
    const r = await sql<Record<string, unknown>>`
      select *, pg_encoding_to_char(encoding) as encoding_name
      from pg_database where datname = current_database()`.execute(db);
    row = r.rows[0];
  } catch (error) {
    throw new Error(
      `cannot reach the PostgreSQL database ${maskDatabaseUrl(url)}: ${(error as Error).message}; check that it runs and that the URL, user and database are right`,
    );
  }
  const name = String(row?.datname ?? "");
  const collation = String(row?.datcollate ?? "");
  const provider = String(row?.datlocprovider ?? "c");
  if (row?.encoding_name !== "UTF8" || provider !== "c" || !BYTE_ORDER.has(collation))
    throw new Error(
      `the PostgreSQL database "${name}" uses encoding ${String(row?.encoding_name)} and collation ${collation} (provider ${provider}), but Berth lists names in byte order as on SQLite: create it with createdb --template=template0 --encoding=UTF8 --locale=C ${name || "berth"}`,
    );
}
