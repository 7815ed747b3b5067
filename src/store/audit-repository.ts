import type { Insertable, Kysely, Selectable } from "kysely";
import type { Database } from "./schema.js";

export type AuditRow = Selectable<Database["audit_log"]>;

/** Append-only by construction: there is no update or delete here. */
export class AuditRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async append(row: Omit<Insertable<Database["audit_log"]>, "id">): Promise<void> {
    await this.db.insertInto("audit_log").values(row).execute();
  }

  /** Oldest first, the newest `limit` rows that match. */
  async list(filter: { tenant?: string; since?: string; limit: number }): Promise<AuditRow[]> {
    let q = this.db.selectFrom("audit_log").selectAll();
    if (filter.tenant !== undefined) q = q.where("tenant", "=", filter.tenant);
    if (filter.since !== undefined) q = q.where("at", ">=", filter.since);
    const rows = await q.orderBy("id", "desc").limit(filter.limit).execute();
    return rows.reverse();
  }
}
