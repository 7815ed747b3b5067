import type { Insertable, Kysely, Selectable, Updateable } from "kysely";
import type { ResourceRow } from "./deployment-repository.js";
import { nowIso } from "./now-iso.js";
import type { Database } from "./schema.js";

export type CanaryRow = Selectable<Database["canaries"]>;
export type CanaryPatch = Omit<Updateable<Database["canaries"]>, "id" | "app_id" | "env_id" | "updated_at">;
const ACTIVE = ["starting", "running", "promoting"];

/** Canaries of an app in an env; at most one is active (starting, running or promoting). */
export class CanaryRepository {
  constructor(private readonly db: Kysely<Database>) {}

  findActive(appId: number, envId: number): Promise<CanaryRow | undefined> {
    return this.db
      .selectFrom("canaries")
      .selectAll()
      .where("app_id", "=", appId)
      .where("env_id", "=", envId)
      .where("phase", "in", ACTIVE)
      .orderBy("id", "desc")
      .executeTakeFirst();
  }

  findLatest(appId: number, envId: number): Promise<CanaryRow | undefined> {
    return this.db
      .selectFrom("canaries")
      .selectAll()
      .where("app_id", "=", appId)
      .where("env_id", "=", envId)
      .orderBy("id", "desc")
      .executeTakeFirst();
  }

  /** Every active canary with its app's names: what the rollout controller watches. */
  listActive(): Promise<(CanaryRow & { tenant: string; env: string; app: string })[]> {
    return this.db
      .selectFrom("canaries")
      .innerJoin("apps", "apps.id", "canaries.app_id")
      .innerJoin("environments", "environments.id", "canaries.env_id")
      .innerJoin("tenants", "tenants.id", "apps.tenant_id")
      .selectAll("canaries")
      .select(["tenants.name as tenant", "environments.name as env", "apps.name as app"])
      .where("canaries.phase", "in", ACTIVE)
      .orderBy("canaries.id")
      .execute();
  }

  /**
   * Starting and running canaries of a tenant with their release's resources: they run beside
   * the stable slots. A promoting canary is counted as its deployment, whose release it now is.
   */
  activeWithResources(tenantId: number): Promise<ResourceRow[]> {
    return this.db
      .selectFrom("canaries")
      .innerJoin("apps", "apps.id", "canaries.app_id")
      .innerJoin("environments", "environments.id", "canaries.env_id")
      .leftJoin("releases", (j) =>
        j
          .onRef("releases.app_id", "=", "canaries.app_id")
          .onRef("releases.env_id", "=", "canaries.env_id")
          .onRef("releases.number", "=", "canaries.release"),
      )
      .select([
        "canaries.app_id",
        "canaries.env_id",
        "canaries.release",
        "releases.id as release_id",
        "environments.name as env",
        "apps.name as app",
        "canaries.replicas",
        "releases.resources_json",
      ])
      .where("apps.tenant_id", "=", tenantId)
      .where("canaries.phase", "in", ["starting", "running"])
      .orderBy("canaries.id")
      .execute();
  }

  async insert(row: Omit<Insertable<Database["canaries"]>, "id" | "updated_at">): Promise<CanaryRow> {
    return this.db
      .insertInto("canaries")
      .values({ ...row, updated_at: nowIso() })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  /** Updates only while the canary is still in `fromPhases`, so a racing promote/abort wins once. */
  async update(id: number, patch: CanaryPatch, fromPhases: readonly string[] = ACTIVE): Promise<boolean> {
    const result = await this.db
      .updateTable("canaries")
      .set({ ...patch, updated_at: nowIso() })
      .where("id", "=", id)
      .where("phase", "in", [...fromPhases])
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }
}
