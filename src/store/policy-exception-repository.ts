import type { Kysely, Selectable } from "kysely";
import { z } from "zod";
import { ExceptionKind } from "../domain/isolation.js";
import { nowIso } from "./now-iso.js";
import type { Database } from "./schema.js";
import { storedJson, storedValue } from "./stored-json.js";

type Raw = Selectable<Database["policy_exceptions"]>;
/** An exception with its kind checked and its values decoded. */
export type PolicyExceptionRow = Omit<Raw, "kind" | "values_json"> & {
  kind: ExceptionKind;
  values: string[];
};

const toRow = ({ values_json, ...r }: Raw): PolicyExceptionRow => ({
  ...r,
  kind: storedValue(ExceptionKind, r.kind, `policy exception ${r.id} column kind`),
  values: storedJson(z.array(z.string()), values_json, `policy exception ${r.id} column values_json`),
});

/** Isolation exceptions a platform admin granted a tenant, one row per kind. */
export class PolicyExceptionRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async list(tenantId: number): Promise<PolicyExceptionRow[]> {
    const rows = await this.db
      .selectFrom("policy_exceptions")
      .selectAll()
      .where("tenant_id", "=", tenantId)
      .orderBy("kind")
      .execute();
    return rows.map(toRow);
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
