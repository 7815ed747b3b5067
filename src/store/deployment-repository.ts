import { type Kysely, sql } from "kysely";
import type { ReleaseResources } from "../domain/settings.js";
import { nowIso } from "./now-iso.js";
import { resourcesFromColumn } from "./release-record.js";
import type { Database } from "./schema.js";

/**
 * A deployment as read: its spec (from `deployments`, written by the services) with its status
 * (from `deployment_status`, written by the reconciler only). While the status has not caught up
 * with a newly asked-for release, the release shows as rolling out since it was asked for.
 */
export interface DeploymentRow {
  id: number;
  app_id: number;
  env_id: number;
  /**
   * The release that should run: the one asked for, unless its rollout failed, then the one
   * still serving (null: none). The plan converges on this.
   */
  release: number | null;
  /** The release the user last asked for (the spec, never rewritten). */
  requested_release: number | null;
  replicas: number;
  health_timeout_s: number;
  requested_at: string | null;
  /** When the spec or the status last changed. */
  updated_at: string;
  serving_release: number | null;
  phase: string;
  message: string;
  rollout_started_at: string | null;
  observed_release: number | null;
  ready_replicas: number;
  total_replicas: number;
  failed_release: number | null;
  failure_reason: string | null;
  failed_at: string | null;
}
/** What the services may write: the spec only. */
export interface DeploymentPatch {
  release?: number | null;
  replicas?: number;
  health_timeout_s?: number;
  requested_at?: string | null;
}
export interface ResourceRow {
  app_id: number;
  env_id: number;
  release: number | null;
  /** The release's row id (null: none); new rows have ids above any read before. */
  release_id: number | null;
  env: string;
  app: string;
  replicas: number;
  /** Null: the release row is gone. */
  resources: ReleaseResources | null;
}
export type NamedDeploymentRow = DeploymentRow & {
  tenant: string;
  env: string;
  app: string;
  /** Where its environment runs; null: the local engine. */
  cluster_id: number | null;
  /** Set for a service instance's component app: the capability it runs. */
  capability: string | null;
};

export class DeploymentRepository {
  constructor(private readonly db: Kysely<Database>) {}

  private joined() {
    return this.db
      .selectFrom("deployments")
      .leftJoin("deployment_status as s", (j) =>
        j.onRef("s.app_id", "=", "deployments.app_id").onRef("s.env_id", "=", "deployments.env_id"),
      )
      .select([
        "deployments.id",
        "deployments.app_id",
        "deployments.env_id",
        "deployments.release as requested_release",
        "deployments.replicas",
        "deployments.health_timeout_s",
        "deployments.requested_at",
        "deployments.generation",
        "deployments.updated_at",
        "s.updated_at as status_updated_at",
        "s.serving_release",
        "s.phase",
        "s.message",
        "s.rollout_started_at",
        "s.observed_release",
        "s.observed_generation",
        "s.ready_replicas",
        "s.total_replicas",
        "s.failed_release",
        "s.failed_generation",
        "s.failure_reason",
        "s.failed_at",
      ]);
  }

  async find(appId: number, envId: number): Promise<DeploymentRow | undefined> {
    const raw = await this.joined()
      .where("deployments.app_id", "=", appId)
      .where("deployments.env_id", "=", envId)
      .executeTakeFirst();
    return raw && toRow(raw);
  }

  async insert(
    appId: number,
    envId: number,
    fields: Required<Pick<DeploymentPatch, "release" | "replicas" | "health_timeout_s">> & DeploymentPatch,
  ): Promise<void> {
    await this.db
      .insertInto("deployments")
      .values({
        app_id: appId,
        env_id: envId,
        release: fields.release,
        replicas: fields.replicas,
        health_timeout_s: fields.health_timeout_s,
        requested_at: fields.requested_at ?? nowIso(),
        // The columns status had before migration 009, no longer read.
        serving_release: null,
        phase: "rolling-out",
        message: "",
        rollout_started_at: null,
        updated_at: nowIso(),
      })
      .execute();
  }

  /** A change of release is a new request: its generation counts up and its clock starts now. */
  async update(appId: number, envId: number, patch: DeploymentPatch): Promise<void> {
    const now = nowIso();
    const request =
      patch.release === undefined
        ? {}
        : { requested_at: patch.requested_at ?? now, generation: sql<number>`generation + 1` };
    await this.db
      .updateTable("deployments")
      .set({ ...patch, ...request, updated_at: now })
      .where("app_id", "=", appId)
      .where("env_id", "=", envId)
      .execute();
  }

  /**
   * Everything of one app in one environment, spec and status alike: a service instance's
   * component leaves an environment this way (the app reconciler then retires its replicas).
   */
  async removeFromEnv(appId: number, envId: number): Promise<void> {
    for (const table of [
      "deployment_events",
      "deployment_status",
      "endpoints",
      "replica_status",
      "canaries",
      "app_routes",
      "bursts",
      "config_entries",
      "config_files",
      "settings",
      "deployments",
      "releases",
    ] as const)
      await this.db.deleteFrom(table).where("app_id", "=", appId).where("env_id", "=", envId).execute();
  }

  private named() {
    return this.joined()
      .innerJoin("apps", "apps.id", "deployments.app_id")
      .innerJoin("environments", "environments.id", "deployments.env_id")
      .innerJoin("tenants", "tenants.id", "apps.tenant_id")
      .select([
        "tenants.name as tenant",
        "environments.name as env",
        "apps.name as app",
        "environments.cluster_id as cluster_id",
        "apps.capability as capability",
      ]);
  }

  async findByNames(tenant: string, env: string, app: string): Promise<NamedDeploymentRow | undefined> {
    const raw = await this.named()
      .where("tenants.name", "=", tenant)
      .where("environments.name", "=", env)
      .where("apps.name", "=", app)
      .executeTakeFirst();
    return raw && toNamed(raw);
  }

  async listAll(): Promise<NamedDeploymentRow[]> {
    return (await this.named().orderBy("deployments.id").execute()).map(toNamed);
  }

  async listForTenant(tenant: string): Promise<NamedDeploymentRow[]> {
    return (await this.named().where("tenants.name", "=", tenant).orderBy("deployments.id").execute()).map(
      toNamed,
    );
  }

  async listForApp(appId: number): Promise<NamedDeploymentRow[]> {
    return (
      await this.named().where("deployments.app_id", "=", appId).orderBy("environments.name").execute()
    ).map(toNamed);
  }

  /** Each deployment of a tenant with the resources of the release it should run (quotas count these). */
  async withResources(tenantId: number): Promise<ResourceRow[]> {
    const rows = await this.db
      .selectFrom("deployments")
      .innerJoin("apps", "apps.id", "deployments.app_id")
      .innerJoin("environments", "environments.id", "deployments.env_id")
      .leftJoin("deployment_status as s", (j) =>
        j.onRef("s.app_id", "=", "deployments.app_id").onRef("s.env_id", "=", "deployments.env_id"),
      )
      .leftJoin("releases as asked", (j) =>
        j
          .onRef("asked.app_id", "=", "deployments.app_id")
          .onRef("asked.env_id", "=", "deployments.env_id")
          .onRef("asked.number", "=", "deployments.release"),
      )
      .leftJoin("releases as serving", (j) =>
        j
          .onRef("serving.app_id", "=", "deployments.app_id")
          .onRef("serving.env_id", "=", "deployments.env_id")
          .onRef("serving.number", "=", "s.serving_release"),
      )
      .select([
        "deployments.app_id",
        "deployments.env_id",
        "deployments.release",
        "deployments.generation",
        "s.failed_generation",
        "s.serving_release",
        "asked.id as asked_id",
        "asked.resources_json as asked_resources",
        "serving.id as serving_id",
        "serving.resources_json as serving_resources",
        "environments.name as env",
        "apps.name as app",
        "deployments.replicas",
      ])
      .where("apps.tenant_id", "=", tenantId)
      .where("deployments.release", "is not", null)
      .orderBy("deployments.id")
      .execute();
    return rows.flatMap((r): ResourceRow[] => {
      // A failed rollout runs nothing new: what serves counts (a failed first deploy: nothing).
      const failed = requestFailed(r);
      const release = failed ? r.serving_release : r.release;
      if (release === null) return [];
      return [
        {
          app_id: r.app_id,
          env_id: r.env_id,
          release,
          release_id: failed ? r.serving_id : r.asked_id,
          env: r.env,
          app: r.app,
          replicas: r.replicas,
          resources: resourcesOf(failed ? r.serving_resources : r.asked_resources, r.app, r.env, release),
        },
      ];
    });
  }

  countForEnv(envId: number): Promise<number> {
    return this.db
      .selectFrom("deployments")
      .select((eb) => eb.fn.countAll().as("n"))
      .where("env_id", "=", envId)
      .executeTakeFirstOrThrow()
      .then((r) => Number(r.n));
  }
}

/** The rollout the spec asks for now is the one that failed (not an earlier request of the same release). */
const requestFailed = (r: { generation: number; failed_generation: number | null }): boolean =>
  r.failed_generation === r.generation;

function resourcesOf(
  text: string | null,
  app: string,
  env: string,
  release: number,
): ReleaseResources | null {
  return text === null
    ? null
    : resourcesFromColumn(text, `release ${release} of ${app}/${env} column resources_json`);
}

type Raw = Omit<DeploymentRow, "release" | "phase" | "message" | "ready_replicas" | "total_replicas"> & {
  status_updated_at: string | null;
  generation: number;
  observed_generation: number | null;
  failed_generation: number | null;
  phase: string | null;
  message: string | null;
  ready_replicas: number | null;
  total_replicas: number | null;
};

/**
 * Spec and status as one record; a request the status has not settled shows as rolling out.
 * Requests are told apart by generation, not release number: a release that once failed may be
 * asked for again (a canary of it promoted), and that is a new rollout.
 */
function toRow(r: Raw): DeploymentRow {
  const asked = r.requested_release;
  const failed = asked !== null && requestFailed(r);
  // Pointing the spec back at the release that serves (a promotion aborted) has nothing to roll out.
  const pending =
    asked !== null && !failed && r.observed_generation !== r.generation && asked !== r.serving_release;
  return {
    id: r.id,
    app_id: r.app_id,
    env_id: r.env_id,
    release: failed ? r.serving_release : asked,
    requested_release: asked,
    replicas: r.replicas,
    health_timeout_s: r.health_timeout_s,
    requested_at: r.requested_at,
    // When either half last changed (ISO timestamps compare as strings).
    updated_at:
      r.status_updated_at !== null && r.status_updated_at > r.updated_at ? r.status_updated_at : r.updated_at,
    serving_release: r.serving_release,
    phase: pending ? "rolling-out" : (r.phase ?? "rolling-out"),
    message: pending ? `rolling out release ${asked}` : (r.message ?? ""),
    rollout_started_at: pending ? r.requested_at : r.rollout_started_at,
    observed_release: r.observed_release,
    ready_replicas: Number(r.ready_replicas ?? 0),
    total_replicas: Number(r.total_replicas ?? 0),
    failed_release: r.failed_release,
    failure_reason: r.failure_reason,
    failed_at: r.failed_at,
  };
}

function toNamed(
  r: Raw & {
    tenant: string;
    env: string;
    app: string;
    cluster_id: number | null;
    capability?: string | null;
  },
): NamedDeploymentRow {
  return {
    ...toRow(r),
    tenant: r.tenant,
    env: r.env,
    app: r.app,
    cluster_id: r.cluster_id,
    capability: r.capability ?? null,
  };
}
