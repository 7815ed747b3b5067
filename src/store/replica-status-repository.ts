import type { Kysely, Selectable } from "kysely";
import type { HealthCheck } from "../domain/settings.js";
import { resourcesFromColumn } from "./release-record.js";
import type { Database } from "./schema.js";

type Row = Selectable<Database["replica_status"]>;

/** A replica as the reconciler last saw it; `healthy` is the last verdict, with when it was made. */
export interface ReplicaStatus {
  workloadId: string;
  name: string;
  release: number;
  slot: number;
  state: string;
  node: string | null;
  detail: string | null;
  hostPort: number | null;
  address: string | null;
  port: number | null;
  healthy: boolean;
  /** Failed probes in a row. */
  failures: number;
  lastProbeAt: string | null;
  unhealthySince: string | null;
  createdAt: string;
  observedAt: string;
}

/** A replica the health monitor probes, with its app's names and its release's health check. */
export interface ProbeTarget extends ReplicaStatus {
  appId: number;
  envId: number;
  tenant: string;
  env: string;
  app: string;
  healthPath: string;
  healthCheck: HealthCheck;
}

const toStatus = (r: Row): ReplicaStatus => ({
  workloadId: r.workload_id,
  name: r.name,
  release: Number(r.release),
  slot: Number(r.slot),
  state: r.state,
  node: r.node,
  detail: r.detail,
  hostPort: r.host_port === null ? null : Number(r.host_port),
  address: r.address,
  port: r.port === null ? null : Number(r.port),
  healthy: Number(r.healthy) === 1,
  failures: Number(r.failures),
  lastProbeAt: r.last_probe_at,
  unhealthySince: r.unhealthy_since,
  createdAt: r.created_at,
  observedAt: r.observed_at,
});

/** Status, written by the reconciler only: what each replica of an app is doing. */
export class ReplicaStatusRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async list(appId: number, envId: number): Promise<ReplicaStatus[]> {
    const rows = await this.db
      .selectFrom("replica_status")
      .selectAll()
      .where("app_id", "=", appId)
      .where("env_id", "=", envId)
      .orderBy("release", "desc")
      .orderBy("slot")
      .orderBy("workload_id")
      .execute();
    return rows.map(toStatus);
  }

  /** The whole set for one app in one environment, as one pass observed it. */
  async replace(appId: number, envId: number, replicas: readonly ReplicaStatus[]): Promise<void> {
    await this.db
      .deleteFrom("replica_status")
      .where("app_id", "=", appId)
      .where("env_id", "=", envId)
      .execute();
    if (replicas.length === 0) return;
    await this.db
      .insertInto("replica_status")
      .values(
        replicas.map((r) => ({
          app_id: appId,
          env_id: envId,
          workload_id: r.workloadId,
          name: r.name,
          release: r.release,
          slot: r.slot,
          state: r.state,
          node: r.node,
          detail: r.detail,
          host_port: r.hostPort,
          address: r.address,
          port: r.port,
          healthy: r.healthy ? 1 : 0,
          failures: r.failures,
          last_probe_at: r.lastProbeAt,
          unhealthy_since: r.unhealthySince,
          created_at: r.createdAt,
          observed_at: r.observedAt,
        })),
      )
      .execute();
  }

  /** Running replicas with an address: what the health monitor probes between passes. */
  async probeTargets(): Promise<ProbeTarget[]> {
    const rows = await this.db
      .selectFrom("replica_status")
      .innerJoin("apps", "apps.id", "replica_status.app_id")
      .innerJoin("environments", "environments.id", "replica_status.env_id")
      .innerJoin("tenants", "tenants.id", "apps.tenant_id")
      .innerJoin("releases", (j) =>
        j
          .onRef("releases.app_id", "=", "replica_status.app_id")
          .onRef("releases.env_id", "=", "replica_status.env_id")
          .onRef("releases.number", "=", "replica_status.release"),
      )
      .selectAll("replica_status")
      .select([
        "tenants.name as tenant",
        "environments.name as env",
        "apps.name as app",
        "releases.health_path",
        "releases.port as release_port",
        "releases.resources_json",
      ])
      .where("replica_status.state", "=", "running")
      .where("replica_status.address", "is not", null)
      .orderBy("replica_status.app_id")
      .orderBy("replica_status.env_id")
      .orderBy("replica_status.workload_id")
      .execute();
    return rows.map((r) => ({
      ...toStatus(r),
      appId: Number(r.app_id),
      envId: Number(r.env_id),
      tenant: r.tenant,
      env: r.env,
      app: r.app,
      healthPath: r.health_path,
      healthCheck: resourcesFromColumn(
        r.resources_json,
        `release ${r.release} of ${r.tenant}/${r.env}/${r.app} column resources_json`,
        r.release_port,
        r.health_path,
      ).healthCheck,
    }));
  }

  /** One probe's verdict; a replica that the last pass no longer saw is left alone. */
  async recordProbe(
    appId: number,
    envId: number,
    workloadId: string,
    verdict: { healthy: boolean; failures: number; at: string; unhealthySince: string | null },
  ): Promise<void> {
    await this.db
      .updateTable("replica_status")
      .set({
        healthy: verdict.healthy ? 1 : 0,
        failures: verdict.failures,
        last_probe_at: verdict.at,
        unhealthy_since: verdict.unhealthySince,
      })
      .where("app_id", "=", appId)
      .where("env_id", "=", envId)
      .where("workload_id", "=", workloadId)
      .execute();
  }
}
