import type { Kysely, Selectable } from "kysely";
import { nowIso } from "./now-iso.js";
import type { Database } from "./schema.js";

export type ServiceOperationRow = Selectable<Database["service_operations"]>;

/** The asynchronous operations on instances, as users see them. */
export class ServiceOperationRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async start(instanceId: number, kind: string, requestedBy: string): Promise<ServiceOperationRow> {
    return this.db
      .insertInto("service_operations")
      .values({
        instance_id: instanceId,
        kind,
        state: "pending",
        requested_by: requestedBy,
        created_at: nowIso(),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  /** The newest operation not yet ended, if any: an instance runs one at a time. */
  async open(instanceId: number): Promise<ServiceOperationRow | undefined> {
    return this.db
      .selectFrom("service_operations")
      .selectAll()
      .where("instance_id", "=", instanceId)
      .where("state", "in", ["pending", "in-progress"])
      .orderBy("id", "desc")
      .executeTakeFirst();
  }

  async latest(instanceId: number, limit = 10): Promise<ServiceOperationRow[]> {
    return this.db
      .selectFrom("service_operations")
      .selectAll()
      .where("instance_id", "=", instanceId)
      .orderBy("id", "desc")
      .limit(limit)
      .execute();
  }

  async byId(id: number): Promise<ServiceOperationRow | undefined> {
    return this.db.selectFrom("service_operations").selectAll().where("id", "=", id).executeTakeFirst();
  }

  async progress(id: number, reason: string): Promise<void> {
    await this.db
      .updateTable("service_operations")
      .set({ state: "in-progress", reason })
      .where("id", "=", id)
      .execute();
  }

  async finish(id: number, state: "succeeded" | "failed", reason: string): Promise<void> {
    await this.db
      .updateTable("service_operations")
      .set({ state, reason, finished_at: nowIso() })
      .where("id", "=", id)
      .execute();
  }
}
