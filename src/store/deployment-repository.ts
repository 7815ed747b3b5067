import type { Kysely, Selectable, Updateable } from "kysely";
import { nowIso } from "./now-iso.js";
import type { Database } from "./schema.js";

export type DeploymentRow = Selectable<Database["deployments"]>;
export type DeploymentPatch = Omit<
  Updateable<Database["deployments"]>,
  "id" | "app_id" | "env_id" | "updated_at"
>;
export interface ResourceRow {
  app_id: number;
  env_id: number;
  release: number | null;
  /** The release's row id (null: none); new rows have ids above any read before. */
  release_id: number | null;
  env: string;
  app: string;
  replicas: number;
  resources_json: string | null;
}
export type NamedDeploymentRow = DeploymentRow & {
  tenant: string;
  env: string;
  app: string;
  /** Where its environment runs; null: the local engine. */
  cluster_id: number | null;
};

export class DeploymentRepository {
  constructor(private readonly db: Kysely<Database>) {}

  find(appId: number, envId: number): Promise<DeploymentRow | undefined> {
    return this.db
      .selectFrom("deployments")
      .selectAll()
      .where("app_id", "=", appId)
      .where("env_id", "=", envId)
      .executeTakeFirst();
  }

  async insert(appId: number, envId: number, fields: Required<DeploymentPatch>): Promise<void> {
    await this.db
      .insertInto("deployments")
      .values({ app_id: appId, env_id: envId, ...fields, updated_at: nowIso() })
      .execute();
  }

  async update(appId: number, envId: number, patch: DeploymentPatch): Promise<void> {
    await this.db
      .updateTable("deployments")
      .set({ ...patch, updated_at: nowIso() })
      .where("app_id", "=", appId)
      .where("env_id", "=", envId)
      .execute();
  }

  /**
   * Updates only while the desired release is still `release`: a pass that decided on an older
   * read must not overwrite a deploy that landed meanwhile. Returns whether it applied.
   */
  async updateIfRelease(
    appId: number,
    envId: number,
    release: number,
    patch: DeploymentPatch,
  ): Promise<boolean> {
    const result = await this.db
      .updateTable("deployments")
      .set({ ...patch, updated_at: nowIso() })
      .where("app_id", "=", appId)
      .where("env_id", "=", envId)
      .where("release", "=", release)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  private named() {
    return this.db
      .selectFrom("deployments")
      .innerJoin("apps", "apps.id", "deployments.app_id")
      .innerJoin("environments", "environments.id", "deployments.env_id")
      .innerJoin("tenants", "tenants.id", "apps.tenant_id")
      .selectAll("deployments")
      .select([
        "tenants.name as tenant",
        "environments.name as env",
        "apps.name as app",
        "environments.cluster_id as cluster_id",
      ]);
  }

  findByNames(tenant: string, env: string, app: string): Promise<NamedDeploymentRow | undefined> {
    return this.named()
      .where("tenants.name", "=", tenant)
      .where("environments.name", "=", env)
      .where("apps.name", "=", app)
      .executeTakeFirst();
  }

  listAll(): Promise<NamedDeploymentRow[]> {
    return this.named().orderBy("deployments.id").execute();
  }

  listForTenant(tenant: string): Promise<NamedDeploymentRow[]> {
    return this.named().where("tenants.name", "=", tenant).orderBy("deployments.id").execute();
  }

  listForApp(appId: number): Promise<NamedDeploymentRow[]> {
    return this.named().where("deployments.app_id", "=", appId).orderBy("environments.name").execute();
  }

  /** Each deployment of a tenant with the resources of the release it should run (quotas count these). */
  withResources(tenantId: number): Promise<ResourceRow[]> {
    return (
      this.db
        .selectFrom("deployments")
        .innerJoin("apps", "apps.id", "deployments.app_id")
        .innerJoin("environments", "environments.id", "deployments.env_id")
        .leftJoin("releases", (j) =>
          j
            .onRef("releases.app_id", "=", "deployments.app_id")
            .onRef("releases.env_id", "=", "deployments.env_id")
            .onRef("releases.number", "=", "deployments.release"),
        )
        .select([
          "deployments.app_id",
          "deployments.env_id",
          "deployments.release",
          "releases.id as release_id",
          "environments.name as env",
          "apps.name as app",
          "deployments.replicas",
          "releases.resources_json",
        ])
        .where("apps.tenant_id", "=", tenantId)
        // A first deploy that failed left nothing running (its desired release went back to none).
        .where("deployments.release", "is not", null)
        .orderBy("deployments.id")
        .execute()
    );
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
