import type { Kysely, Selectable } from "kysely";
import type { Database } from "./schema.js";

export type EndpointRow = Selectable<Database["endpoints"]>;
export interface RoutedEndpoints {
  appId: number;
  envId: number;
  servingRelease: number | null;
  tenant: string;
  env: string;
  app: string;
  endpoints: { address: string; port: number; release: number; containerId: string }[];
}

/** Status written by the reconciler: which containers the router should send an app's traffic to. */
export class EndpointRepository {
  constructor(private readonly db: Kysely<Database>) {}

  list(appId: number, envId: number): Promise<EndpointRow[]> {
    return this.db
      .selectFrom("endpoints")
      .selectAll()
      .where("app_id", "=", appId)
      .where("env_id", "=", envId)
      .orderBy("container_id")
      .execute();
  }

  /** Call inside a transaction so the router never reads a half-replaced set. */
  async replace(appId: number, envId: number, rows: Omit<EndpointRow, "app_id" | "env_id">[]): Promise<void> {
    await this.db.deleteFrom("endpoints").where("app_id", "=", appId).where("env_id", "=", envId).execute();
    if (rows.length === 0) return;
    await this.db
      .insertInto("endpoints")
      .values(rows.map((r) => ({ ...r, app_id: appId, env_id: envId })))
      .execute();
  }

  /** Every deployed app with its endpoints (possibly none): what the router renders. */
  async listRouted(): Promise<RoutedEndpoints[]> {
    const rows = await this.db
      .selectFrom("deployments")
      .innerJoin("apps", "apps.id", "deployments.app_id")
      .innerJoin("environments", "environments.id", "deployments.env_id")
      .innerJoin("tenants", "tenants.id", "apps.tenant_id")
      .leftJoin("deployment_status as s", (j) =>
        j.onRef("s.app_id", "=", "deployments.app_id").onRef("s.env_id", "=", "deployments.env_id"),
      )
      .leftJoin("endpoints", (j) =>
        j
          .onRef("endpoints.app_id", "=", "deployments.app_id")
          .onRef("endpoints.env_id", "=", "deployments.env_id"),
      )
      .leftJoin("releases", (j) =>
        j
          .onRef("releases.app_id", "=", "endpoints.app_id")
          .onRef("releases.env_id", "=", "endpoints.env_id")
          .onRef("releases.number", "=", "endpoints.release"),
      )
      .select([
        "deployments.id as deployment",
        "deployments.app_id",
        "deployments.env_id",
        "s.serving_release",
        "tenants.name as tenant",
        "environments.name as env",
        "apps.name as app",
        "endpoints.address",
        "endpoints.port",
        "endpoints.release",
        "endpoints.container_id",
        "releases.resources_json",
      ])
      // Component apps of service instances are reached on their network, never through the router.
      .where("apps.capability", "is", null)
      .orderBy("deployments.id")
      .orderBy("endpoints.container_id")
      .execute();
    const byDeployment = new Map<number, RoutedEndpoints>();
    for (const r of rows) {
      let routed = byDeployment.get(r.deployment);
      if (!routed) {
        routed = {
          appId: r.app_id,
          envId: r.env_id,
          servingRelease: r.serving_release,
          tenant: r.tenant,
          env: r.env,
          app: r.app,
          endpoints: [],
        };
        byDeployment.set(r.deployment, routed);
      }
      // Only releases checked over HTTP speak HTTP; tcp and none apps are reached by name, not routed.
      if (
        r.address !== null &&
        r.port !== null &&
        r.release !== null &&
        r.container_id !== null &&
        speaksHttp(r.resources_json)
      ) {
        routed.endpoints.push({
          address: r.address,
          port: r.port,
          release: r.release,
          containerId: r.container_id,
        });
      }
    }
    return [...byDeployment.values()];
  }
}

function speaksHttp(resourcesJson: string | null): boolean {
  if (resourcesJson === null) return true;
  const check = (JSON.parse(resourcesJson) as { healthCheck?: string }).healthCheck;
  return check === undefined || check === "http";
}
