import type { Insertable, Kysely, Selectable } from "kysely";
import type { Database } from "./schema.js";

export type AppRouteRow = Selectable<Database["app_routes"]>;
export type NamedAppRouteRow = AppRouteRow & { tenant: string; env: string; app: string };

/** Custom hosts and paths that lead to an app, besides its default host. */
export class AppRouteRepository {
  constructor(private readonly db: Kysely<Database>) {}

  list(appId: number, envId: number): Promise<AppRouteRow[]> {
    return this.db
      .selectFrom("app_routes")
      .selectAll()
      .where("app_id", "=", appId)
      .where("env_id", "=", envId)
      .orderBy("host")
      .orderBy("path")
      .execute();
  }

  listAll(): Promise<NamedAppRouteRow[]> {
    return this.db
      .selectFrom("app_routes")
      .innerJoin("apps", "apps.id", "app_routes.app_id")
      .innerJoin("environments", "environments.id", "app_routes.env_id")
      .innerJoin("tenants", "tenants.id", "apps.tenant_id")
      .selectAll("app_routes")
      .select(["tenants.name as tenant", "environments.name as env", "apps.name as app"])
      .orderBy("app_routes.host")
      .orderBy("app_routes.path")
      .execute();
  }

  findByHost(host: string): Promise<AppRouteRow[]> {
    return this.db.selectFrom("app_routes").selectAll().where("host", "=", host).orderBy("path").execute();
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

  insert(row: Omit<Insertable<Database["app_routes"]>, "id">): Promise<AppRouteRow> {
    return this.db.insertInto("app_routes").values(row).returningAll().executeTakeFirstOrThrow();
  }

  async remove(id: number): Promise<void> {
    await this.db.deleteFrom("app_routes").where("id", "=", id).execute();
  }
}
