import type { Kysely, Selectable } from "kysely";
import { nowIso } from "./now-iso.js";
import type { Database } from "./schema.js";

export type PolicyExceptionRow = Selectable<Database["policy_exceptions"]>;

/** Isolation exceptions a platform admin granted a tenant, one row per kind. */
export class PolicyExceptionRepository {
  constructor(private readonly db: Kysely<Database>) {}

  list(tenantId: number): Promise<PolicyExceptionRow[]> {
    return this.db
      .selectFrom("policy_exceptions")
      .selectAll()
      .where("tenant_id", "=", tenantId)
      .orderBy("kind")
      .execute();
  }

  async put(
    tenantId: number,
    kind: string,
    values: string[],
    reason: string,
    grantedBy: string,
  ): Promise<void> {
    const row = { values_json: JSON.stringify(values), reason, granted_by: grantedBy, granted_at: nowIso() };
    await this.db
      .insertInto("policy_exceptions")
      .values({ tenant_id: tenantId, kind, ...row })
      .onConflict((oc) => oc.columns(["tenant_id", "kind"]).doUpdateSet(row))
      .execute();
  }

  async remove(tenantId: number, kind: string): Promise<number> {
    const r = await this.db
      .deleteFrom("policy_exceptions")
      .where("tenant_id", "=", tenantId)
      .where("kind", "=", kind)
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
