import type { Kysely } from "kysely";
import { nowIso } from "./now-iso.js";
import type { Database } from "./schema.js";

/** A link with the names of both ends: `from` may reach `to`. */
export interface LinkView {
  id: number;
  from_app_id: number;
  from_env_id: number;
  from_tenant: string;
  from_env: string;
  from_app: string;
  to_app_id: number;
  to_env_id: number;
  to_tenant: string;
  to_env: string;
  to_app: string;
  created_by: string;
  created_at: string;
}

export class NetworkLinkRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async create(
    from: { appId: number; envId: number },
    to: { appId: number; envId: number },
    createdBy: string,
  ): Promise<number> {
    const row = await this.db
      .insertInto("network_links")
      .values({
        app_id: from.appId,
        env_id: from.envId,
        to_app_id: to.appId,
        to_env_id: to.envId,
        created_by: createdBy,
        created_at: nowIso(),
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    return row.id;
  }

  async delete(id: number): Promise<void> {
    await this.db.deleteFrom("network_links").where("id", "=", id).execute();
  }

  private named() {
    return this.db
      .selectFrom("network_links as l")
      .innerJoin("apps as fa", "fa.id", "l.app_id")
      .innerJoin("environments as fe", "fe.id", "l.env_id")
      .innerJoin("tenants as ft", "ft.id", "fa.tenant_id")
      .innerJoin("apps as ta", "ta.id", "l.to_app_id")
      .innerJoin("environments as te", "te.id", "l.to_env_id")
      .innerJoin("tenants as tt", "tt.id", "ta.tenant_id")
      .select([
        "l.id",
        "l.app_id as from_app_id",
        "l.env_id as from_env_id",
        "ft.name as from_tenant",
        "fe.name as from_env",
        "fa.name as from_app",
        "l.to_app_id",
        "l.to_env_id",
        "tt.name as to_tenant",
        "te.name as to_env",
        "ta.name as to_app",
        "l.created_by",
        "l.created_at",
      ]);
  }

  find(id: number): Promise<LinkView | undefined> {
    return this.named().where("l.id", "=", id).executeTakeFirst();
  }

  /** Links with this app in this environment at either end. */
  of(appId: number, envId: number): Promise<LinkView[]> {
    return this.named()
      .where((eb) =>
        eb.or([
          eb.and([eb("l.app_id", "=", appId), eb("l.env_id", "=", envId)]),
          eb.and([eb("l.to_app_id", "=", appId), eb("l.to_env_id", "=", envId)]),
        ]),
      )
      .orderBy("l.id")
      .execute();
  }

  async ids(): Promise<number[]> {
    return (await this.db.selectFrom("network_links").select("id").orderBy("id").execute()).map((r) => r.id);
  }
}
