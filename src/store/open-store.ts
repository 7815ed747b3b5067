import { join } from "node:path";
import type { SecretBox } from "../domain/secret-box.js";
import { isPostgresUrl } from "./mask-database-url.js";
import { openPostgresStore } from "./open-postgres-store.js";
import { openSqliteStore } from "./open-sqlite-store.js";
import type { Store } from "./store.js";

/** The server's store: PostgreSQL when `database` is its URL, else SQLite in DATA_DIR/berth.db. */
export async function openStore(
  database: string | undefined,
  dataDir: string,
  box?: SecretBox,
): Promise<Store> {
  if (database === undefined || database === "") return openSqliteStore(join(dataDir, "berth.db"), box);
  if (!isPostgresUrl(database))
    throw new Error("--database must be a postgres:// or postgresql:// URL, or left out for SQLite");
  return openPostgresStore(database, box);
}
