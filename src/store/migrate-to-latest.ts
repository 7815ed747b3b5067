import { type Kysely, Migrator } from "kysely";
import type { IdColumn } from "./migrations/id-column.js";
import { migrationProvider } from "./migrations/migration-provider.js";
import type { Database } from "./schema.js";

export async function migrateToLatest(db: Kysely<Database>, id: IdColumn): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider(id) });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === "Error");
  if (error || failed) {
    const cause = error instanceof Error ? error.message : String(error ?? "");
    throw new Error(`database migration ${failed?.migrationName ?? ""} failed: ${cause}`);
  }
}
