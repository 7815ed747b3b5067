import type { Kysely, Selectable } from "kysely";
import { nowIso } from "./now-iso.js";
import type { Database } from "./schema.js";

export type BurstRow = Selectable<Database["bursts"]>;

export class BurstRepository {
  constructor(private readonly db: Kysely<Database>) {}

  find(appId: number, envId: number): Promise<BurstRow | undefined> {
    return this.db
      .selectFrom("bursts")
      .selectAll()
      .where("app_id", "=", appId)
      .where("env_id", "=", envId)
      .executeTakeFirst();
  }

  async set(
    appId: number,
    envId: number,
    prefer: string,
    overflow: string,
    maxOverflow: number,
  ): Promise<BurstRow> {
    const row = {
      app_id: appId,
      env_id: envId,
      prefer,
      overflow,
      max_overflow: maxOverflow,
      updated_at: nowIso(),
    };
    await this.db
      .insertInto("bursts")
      .values(row)
      .onConflict((oc) =>
        oc
          .columns(["app_id", "env_id"])
          .doUpdateSet({ prefer, overflow, max_overflow: maxOverflow, updated_at: row.updated_at }),
      )
      .execute();
    return row;
  }

  async clear(appId: number, envId: number): Promise<boolean> {
    const r = await this.db
      .deleteFrom("bursts")
      .where("app_id", "=", appId)
      .where("env_id", "=", envId)
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  /** Every policy with its deployment's names and serving release: what the burst loop visits. */
  listActive(): Promise<(BurstRow & { tenant: string; env: string; app: string; release: number })[]> {
    return this.db
      .selectFrom("bursts")
      .innerJoin("deployments", (j) =>
        j.onRef("deployments.app_id", "=", "bursts.app_id").onRef("deployments.env_id", "=", "bursts.env_id"),
      )
      .innerJoin("apps", "apps.id", "bursts.app_id")
      .innerJoin("environments", "environments.id", "bursts.env_id")
      .innerJoin("tenants", "tenants.id", "apps.tenant_id")
      .innerJoin("deployment_status as s", (j) =>
        j.onRef("s.app_id", "=", "bursts.app_id").onRef("s.env_id", "=", "bursts.env_id"),
      )
      .selectAll("bursts")
      .select(["tenants.name as tenant", "environments.name as env", "apps.name as app"])
      .select("s.serving_release as release")
      .where("s.serving_release", "is not", null)
      .orderBy("bursts.app_id")
      .orderBy("bursts.env_id")
      .execute() as never;
  }
}
