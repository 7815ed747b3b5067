import { sql } from "kysely";
import type { SecretBox } from "../domain/secret-box.js";
import { connectPostgres } from "./connect-postgres.js";
import { Store } from "./store.js";

/** "berth" in ASCII: the advisory lock every Berth transaction takes first. */
export const WRITERS_LOCK = 0x6265727468;

/**
 * Opens the PostgreSQL database at `url` (postgres:// or postgresql://), migrated to the latest
 * schema. Transactions take one advisory lock, so they run one at a time as on SQLite: the
 * services' read-check-write transactions (release numbers, quotas) rely on that.
 */
export async function openPostgresStore(url: string, box?: SecretBox): Promise<Store> {
  const db = await connectPostgres(url);
  return new Store(db, {
    backupRefusal:
      "a PostgreSQL store is backed up with pg_dump, not through Berth: e.g. pg_dump --format=custom --file=berth.dump DATABASE_URL",
    box,
    beginTransaction: async (trx) => {
      await sql`select pg_advisory_xact_lock(${WRITERS_LOCK})`.execute(trx);
    },
  });
}
