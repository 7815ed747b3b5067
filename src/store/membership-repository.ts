import type { Kysely } from "kysely";
import { nowIso } from "./now-iso.js";
import type { Database } from "./schema.js";

export interface MembershipRow {
  tenant_id: number;
  tenant: string;
  user_id: number;
  user: string;
  role: string;
  created_at: string;
}

export class MembershipRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** Adds the member, or changes the role of one who already is. */
  async put(tenantId: number, userId: number, role: string): Promise<void> {
    await this.db
      .insertInto("memberships")
      .values({ tenant_id: tenantId, user_id: userId, role, created_at: nowIso() })
      .onConflict((oc) => oc.columns(["tenant_id", "user_id"]).doUpdateSet({ role }))
      .execute();
  }

  async remove(tenantId: number, userId: number): Promise<number> {
    const r = await this.db
      .deleteFrom("memberships")
      .where("tenant_id", "=", tenantId)
      .where("user_id", "=", userId)
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async roleOf(tenantId: number, userId: number): Promise<string | undefined> {
    const row = await this.db
      .selectFrom("memberships")
      .select("role")
      .where("tenant_id", "=", tenantId)
      .where("user_id", "=", userId)
      .executeTakeFirst();
    return row?.role;
  }

  private joined() {
    return this.db
      .selectFrom("memberships")
      .innerJoin("tenants", "tenants.id", "memberships.tenant_id")
      .innerJoin("users", "users.id", "memberships.user_id")
      .select([
        "memberships.tenant_id",
        "tenants.name as tenant",
        "memberships.user_id",
        "users.name as user",
        "memberships.role",
        "memberships.created_at",
      ]);
  }

  ofTenant(tenantId: number): Promise<MembershipRow[]> {
    return this.joined().where("memberships.tenant_id", "=", tenantId).orderBy("users.name").execute();
  }

  ofUser(userId: number): Promise<MembershipRow[]> {
    return this.joined().where("memberships.user_id", "=", userId).orderBy("tenants.name").execute();
  }
}
