import type { Kysely, Selectable } from "kysely";
import { nowIso } from "./now-iso.js";
import type { Database } from "./schema.js";

export type AppRow = Selectable<Database["apps"]>;

export class AppRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** `capability`: a component app that runs instances of that capability (not a user's app). */
  create(tenantId: number, name: string, capability: string | null = null): Promise<AppRow> {
    return this.db
      .insertInto("apps")
      .values({ tenant_id: tenantId, name, created_at: nowIso(), capability })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  /** The tenant's own apps; component apps of service instances are left out. */
  list(tenantId: number): Promise<AppRow[]> {
    return this.db
      .selectFrom("apps")
      .selectAll()
      .where("tenant_id", "=", tenantId)
      .where("capability", "is", null)
      .orderBy("name")
      .execute();
  }

  async count(tenantId: number): Promise<number> {
    const row = await this.db
      .selectFrom("apps")
      .select((eb) => eb.fn.countAll().as("n"))
      .where("tenant_id", "=", tenantId)
      .where("capability", "is", null)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  find(tenantId: number, name: string): Promise<AppRow | undefined> {
    return this.db
      .selectFrom("apps")
      .selectAll()
      .where("tenant_id", "=", tenantId)
      .where("name", "=", name)
      .executeTakeFirst();
  }

  async delete(id: number): Promise<void> {
    for (const table of ["config_entries", "config_files", "settings"] as const)
      await this.db.deleteFrom(table).where("app_id", "=", id).execute();
    await this.db.deleteFrom("apps").where("id", "=", id).execute();
  }
}
