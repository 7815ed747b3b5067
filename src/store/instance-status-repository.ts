import type { Kysely } from "kysely";
import { nowIso } from "./now-iso.js";
import type { Database } from "./schema.js";

/** The status half of a service instance (migration 010). Only its reconciler writes it. */
export class InstanceStatusRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async write(
    instanceId: number,
    patch: { phase: string; message: string; observedGeneration?: number | null; readyAt?: string | null },
  ): Promise<void> {
    const updated_at = nowIso();
    const set = {
      phase: patch.phase,
      message: patch.message,
      ...(patch.observedGeneration === undefined ? {} : { observed_generation: patch.observedGeneration }),
      ...(patch.readyAt === undefined ? {} : { ready_at: patch.readyAt }),
      updated_at,
    };
    await this.db
      .insertInto("instance_status")
      .values({ instance_id: instanceId, ...set })
      .onConflict((oc) => oc.column("instance_id").doUpdateSet(set))
      .execute();
  }
}
