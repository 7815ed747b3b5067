import type { Kysely } from "kysely";
import { nowIso } from "./now-iso.js";
import type { Database } from "./schema.js";

/** What the reconciler records of a deployment; every field it leaves out keeps its value. */
export interface DeploymentStatusPatch {
  serving_release?: number | null;
  phase?: string;
  message?: string;
  rollout_started_at?: string | null;
  observed_release?: number | null;
  observed_generation?: number | null;
  ready_replicas?: number;
  total_replicas?: number;
  failed_release?: number | null;
  failed_generation?: number | null;
  failure_reason?: string | null;
  failed_at?: string | null;
}

/** The status half of a deployment (migration 009). Only the reconciler writes it. */
export class DeploymentStatusRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async write(appId: number, envId: number, patch: DeploymentStatusPatch): Promise<void> {
    const updated_at = nowIso();
    await this.db
      .insertInto("deployment_status")
      .values({
        app_id: appId,
        env_id: envId,
        phase: "rolling-out",
        message: "",
        ready_replicas: 0,
        total_replicas: 0,
        ...patch,
        updated_at,
      })
      .onConflict((oc) => oc.columns(["app_id", "env_id"]).doUpdateSet({ ...patch, updated_at }))
      .execute();
  }

  /**
   * Records the outcome of the rollout the spec asks for now, only while it still asks for
   * `release`: a pass that decided on an older read must not record an outcome for a release the
   * user has replaced meanwhile. The outcome is tied to the request's generation (settled, and
   * failed when it records a failure). Run it in a transaction (the check and the write are two
   * statements). Returns whether it applied.
   */
  async writeIfRelease(
    appId: number,
    envId: number,
    release: number,
    patch: DeploymentStatusPatch,
  ): Promise<boolean> {
    const spec = await this.db
      .selectFrom("deployments")
      .select(["release", "generation"])
      .where("app_id", "=", appId)
      .where("env_id", "=", envId)
      .executeTakeFirst();
    if (!spec || spec.release !== release) return false;
    await this.write(appId, envId, {
      ...patch,
      observed_release: release,
      observed_generation: spec.generation,
      ...(patch.failed_release === undefined ? {} : { failed_generation: spec.generation }),
    });
    return true;
  }
}
