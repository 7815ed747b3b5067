import type { Insertable, Kysely, Selectable, Updateable } from "kysely";
import type { RolloutPlan } from "../domain/canary.js";
import type { TrafficRules } from "../domain/traffic-rules.js";
import type { ResourceRow } from "./deployment-repository.js";
import { nowIso } from "./now-iso.js";
import { resourcesFromColumn } from "./release-record.js";
import type { Database } from "./schema.js";
import { storedJson } from "./stored-json.js";
import { StoredRolloutPlan, StoredTrafficRules } from "./stored-shapes.js";

type Raw = Selectable<Database["canaries"]>;
/** A canary with its rules and rollout plan decoded and checked. */
export type CanaryRow = Omit<Raw, "rules" | "rollout"> & { rules: TrafficRules; rollout: RolloutPlan | null };
export type CanaryPatch = Omit<
  Updateable<Database["canaries"]>,
  "id" | "app_id" | "env_id" | "updated_at" | "rules" | "rollout"
> & { rules?: TrafficRules };
export type NewCanary = Omit<Insertable<Database["canaries"]>, "id" | "updated_at" | "rules" | "rollout"> & {
  rules: TrafficRules;
  rollout: RolloutPlan | null;
};

function toCanaryRow<R extends Raw>(raw: R): Omit<R, "rules" | "rollout"> & CanaryRow {
  const what = (column: string) => `canary ${raw.id} column ${column}`;
  return {
    ...raw,
    rules: storedJson(StoredTrafficRules, raw.rules, what("rules")),
    rollout: raw.rollout === null ? null : storedJson(StoredRolloutPlan, raw.rollout, what("rollout")),
  };
}
const ACTIVE = ["starting", "running", "promoting"];

/** Canaries of an app in an env; at most one is active (starting, running or promoting). */
export class CanaryRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async findActive(appId: number, envId: number): Promise<CanaryRow | undefined> {
    const row = await this.db
      .selectFrom("canaries")
      .selectAll()
      .where("app_id", "=", appId)
      .where("env_id", "=", envId)
      .where("phase", "in", ACTIVE)
      .orderBy("id", "desc")
      .executeTakeFirst();
    return row && toCanaryRow(row);
  }

  async findLatest(appId: number, envId: number): Promise<CanaryRow | undefined> {
    const row = await this.db
      .selectFrom("canaries")
      .selectAll()
      .where("app_id", "=", appId)
      .where("env_id", "=", envId)
      .orderBy("id", "desc")
      .executeTakeFirst();
    return row && toCanaryRow(row);
  }

  /** Every active canary with its app's names: what the rollout controller watches. */
  async listActive(): Promise<(CanaryRow & { tenant: string; env: string; app: string })[]> {
    const rows = await this.db
      .selectFrom("canaries")
      .innerJoin("apps", "apps.id", "canaries.app_id")
      .innerJoin("environments", "environments.id", "canaries.env_id")
      .innerJoin("tenants", "tenants.id", "apps.tenant_id")
      .selectAll("canaries")
      .select(["tenants.name as tenant", "environments.name as env", "apps.name as app"])
      .where("canaries.phase", "in", ACTIVE)
      .orderBy("canaries.id")
      .execute();
    return rows.map(toCanaryRow);
  }

  /**
   * Starting and running canaries of a tenant with their release's resources: they run beside
   * the stable slots. A promoting canary is counted as its deployment, whose release it now is.
   */
  async activeWithResources(tenantId: number): Promise<ResourceRow[]> {
    const rows = await this.db
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
    return rows.map(({ resources_json, ...r }) => ({
      ...r,
      resources:
        resources_json === null
          ? null
          : resourcesFromColumn(resources_json, `release ${r.release} of canary ${r.app}/${r.env}`),
    }));
  }

  async insert(row: NewCanary): Promise<CanaryRow> {
    const { rules, rollout, ...rest } = row;
    const stored = await this.db
      .insertInto("canaries")
      .values({
        ...rest,
        rules: JSON.stringify(rules),
        rollout: rollout === null ? null : JSON.stringify(rollout),
        updated_at: nowIso(),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toCanaryRow(stored);
  }

  /** Updates only while the canary is still in `fromPhases`, so a racing promote/abort wins once. */
  async update(id: number, patch: CanaryPatch, fromPhases: readonly string[] = ACTIVE): Promise<boolean> {
    const { rules, ...rest } = patch;
    const result = await this.db
      .updateTable("canaries")
      .set({ ...rest, ...(rules ? { rules: JSON.stringify(rules) } : {}), updated_at: nowIso() })
      .where("id", "=", id)
      .where("phase", "in", [...fromPhases])
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }
}
