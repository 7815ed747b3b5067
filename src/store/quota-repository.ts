import type { Kysely, Selectable } from "kysely";
import { nowIso } from "./now-iso.js";
import type { Database } from "./schema.js";

export type QuotaRow = Selectable<Database["quotas"]>;
export type QuotaLimits = Pick<QuotaRow, "cpus" | "memory_mb" | "replicas" | "apps">;

export class QuotaRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** The tenant's own row (env 0) and one per environment that has limits. */
  list(tenantId: number): Promise<QuotaRow[]> {
    return this.db
      .selectFrom("quotas")
      .selectAll()
      .where("tenant_id", "=", tenantId)
      .orderBy("env_id")
      .execute();
  }

  /** Writes the whole row; a row with no limit left is removed. */
  async put(tenantId: number, envId: number, limits: QuotaLimits): Promise<void> {
    if (Object.values(limits).every((v) => v === null)) {
      await this.db
        .deleteFrom("quotas")
        .where("tenant_id", "=", tenantId)
        .where("env_id", "=", envId)
        .execute();
      return;
    }
    await this.db
      .insertInto("quotas")
      .values({ tenant_id: tenantId, env_id: envId, ...limits, updated_at: nowIso() })
      .onConflict((oc) =>
        oc.columns(["tenant_id", "env_id"]).doUpdateSet({ ...limits, updated_at: nowIso() }),
      )
      .execute();
  }
}
