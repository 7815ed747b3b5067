import { chmodSync, closeSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import SqliteDatabase from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import type { SecretBox } from "../domain/secret-box.js";
import { migrateToLatest } from "./migrate-to-latest.js";
import { sqliteId } from "./migrations/id-column.js";
import type { Database } from "./schema.js";
import { Store } from "./store.js";

/** Opens (creating if needed) the SQLite file, in WAL mode, migrated to the latest schema. */
export async function openSqliteStore(file: string, box?: SecretBox): Promise<Store> {
  mkdirSync(dirname(file), { recursive: true });
  // Created 0600 before SQLite opens it; the -wal and -shm files take the same mode.
  closeSync(openSync(file, "a", 0o600));
  // An existing file (e.g. from an older version) is tightened too.
  chmodSync(file, 0o600);
  const sqlite = new SqliteDatabase(file);
  // WAL lets readers (the CLI's polls) proceed while the reconciler writes.
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("busy_timeout = 5000");
  sqlite.pragma("synchronous = NORMAL");
  // Overwritten rows (e.g. a secret re-sealed under a new key) must not linger in free pages.
  sqlite.pragma("secure_delete = ON");
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  await migrateToLatest(db, sqliteId);
  return new Store(db, {
    backupTo: async (target) => {
      await sqlite.backup(target);
    },
    box,
  });
}
