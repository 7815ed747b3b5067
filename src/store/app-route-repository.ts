import type { Insertable, Kysely, Selectable } from "kysely";
import type { Database } from "./schema.js";
import { storedBoolean } from "./stored-json.js";

type Raw = Selectable<Database["app_routes"]>;
export type AppRouteRow = Omit<Raw, "redirect_https"> & { redirect_https: boolean };
export type NamedAppRouteRow = AppRouteRow & { tenant: string; env: string; app: string };
export type NewAppRoute = Omit<Insertable<Database["app_routes"]>, "id" | "redirect_https"> & {
  redirect_https: boolean;
};

const toRow = <R extends Raw>(r: R): Omit<R, "redirect_https"> & { redirect_https: boolean } => ({
  ...r,
  redirect_https: storedBoolean(r.redirect_https),
});

/** Custom hosts and paths that lead to an app, besides its default host. */
export class AppRouteRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async list(appId: number, envId: number): Promise<AppRouteRow[]> {
    const rows = await this.db
      .selectFrom("app_routes")
      .selectAll()
      .where("app_id", "=", appId)
      .where("env_id", "=", envId)
      .orderBy("host")
      .orderBy("path")
      .execute();
    return rows.map(toRow);
  }

  async listAll(): Promise<NamedAppRouteRow[]> {
    const rows = await this.db
      .selectFrom("app_routes")
      .innerJoin("apps", "apps.id", "app_routes.app_id")
      .innerJoin("environments", "environments.id", "app_routes.env_id")
      .innerJoin("tenants", "tenants.id", "apps.tenant_id")
      .selectAll("app_routes")
      .select(["tenants.name as tenant", "environments.name as env", "apps.name as app"])
      .orderBy("app_routes.host")
      .orderBy("app_routes.path")
      .execute();
    return rows.map(toRow);
  }

  async findByHost(host: string): Promise<AppRouteRow[]> {
    const rows = await this.db
      .selectFrom("app_routes")
      .selectAll()
      .where("host", "=", host)
      .orderBy("path")
      .execute();
    return rows.map(toRow);
  }

  /** The tenants whose apps have routes on this host (a host belongs to one tenant). */
  async tenantsOfHost(host: string): Promise<number[]> {
    const rows = await this.db
      .selectFrom("app_routes")
      .innerJoin("apps", "apps.id", "app_routes.app_id")
      .select("apps.tenant_id")
      .distinct()
      .where("app_routes.host", "=", host)
      .orderBy("apps.tenant_id")
      .execute();
    return rows.map((r) => r.tenant_id);
  }

  async insert(row: NewAppRoute): Promise<AppRouteRow> {
    const stored = await this.db
      .insertInto("app_routes")
      .values({ ...row, redirect_https: row.redirect_https ? 1 : 0 })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toRow(stored);
  }

  async remove(id: number): Promise<void> {
    await this.db.deleteFrom("app_routes").where("id", "=", id).execute();
  }
}
