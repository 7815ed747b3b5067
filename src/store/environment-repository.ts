import type { Kysely, Selectable } from "kysely";
import { nowIso } from "./now-iso.js";
import type { Database } from "./schema.js";

export type EnvironmentRow = Selectable<Database["environments"]>;

export class EnvironmentRepository {
  constructor(private readonly db: Kysely<Database>) {}

  create(tenantId: number, name: string, clusterId: number | null = null): Promise<EnvironmentRow> {
    return this.db
      .insertInto("environments")
      .values({ tenant_id: tenantId, name, created_at: nowIso(), cluster_id: clusterId })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  list(tenantId: number): Promise<EnvironmentRow[]> {
    return this.db
      .selectFrom("environments")
      .selectAll()
      .where("tenant_id", "=", tenantId)
      .orderBy("name")
      .execute();
  }

  find(tenantId: number, name: string): Promise<EnvironmentRow | undefined> {
    return this.db
      .selectFrom("environments")
      .selectAll()
      .where("tenant_id", "=", tenantId)
      .where("name", "=", name)
      .executeTakeFirst();
  }

  /** Every tenant-environment pair by name: the networks that should exist. */
  listAllNames(): Promise<{ tenant: string; env: string }[]> {
    return this.db
      .selectFrom("environments")
      .innerJoin("tenants", "tenants.id", "environments.tenant_id")
      .select(["tenants.name as tenant", "environments.name as env"])
      .orderBy("tenants.name")
      .orderBy("environments.name")
      .execute();
  }

  async setMinRole(id: number, minRole: string | null): Promise<void> {
    await this.db.updateTable("environments").set({ min_role: minRole }).where("id", "=", id).execute();
  }

  async delete(id: number): Promise<void> {
    for (const table of ["config_entries", "config_files", "settings", "quotas"] as const)
      await this.db.deleteFrom(table).where("env_id", "=", id).execute();
    await this.db.deleteFrom("environments").where("id", "=", id).execute();
  }
}
