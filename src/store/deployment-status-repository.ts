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
  ready_replicas?: number;
  total_replicas?: number;
  failed_release?: number | null;
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
   * Writes only while the spec still asks for `release`: a pass that decided on an older read
   * must not record an outcome for a release the user has replaced meanwhile. Run it in a
   * transaction (the check and the write are two statements). Returns whether it applied.
   */
  async writeIfRelease(
    appId: number,
    envId: number,
    release: number,
    patch: DeploymentStatusPatch,
  ): Promise<boolean> {
    const spec = await this.db
      .selectFrom("deployments")
      .select("release")
      .where("app_id", "=", appId)
      .where("env_id", "=", envId)
      .executeTakeFirst();
    if (spec?.release !== release) return false;
    await this.write(appId, envId, patch);
    return true;
  }
}
