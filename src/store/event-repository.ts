import type { Kysely, Selectable } from "kysely";
import { nowIso } from "./now-iso.js";
import type { Database } from "./schema.js";

export type EventRow = Selectable<Database["deployment_events"]>;

export class EventRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async append(
    appId: number,
    envId: number,
    release: number | null,
    kind: string,
    message: string,
  ): Promise<number> {
    const row = await this.db
      .insertInto("deployment_events")
      .values({ app_id: appId, env_id: envId, release, kind, message, at: nowIso() })
      .returning("id")
      .executeTakeFirstOrThrow();
    return row.id;
  }

  list(appId: number, envId: number, afterId: number, limit: number): Promise<EventRow[]> {
    return this.db
      .selectFrom("deployment_events")
      .selectAll()
      .where("app_id", "=", appId)
      .where("env_id", "=", envId)
      .where("id", ">", afterId)
      .orderBy("id")
      .limit(limit)
      .execute();
  }

  /** Release numbers that have at least one event of `kind`, e.g. every release that was switched to. */
  async releasesWith(appId: number, envId: number, kind: string): Promise<number[]> {
    const rows = await this.db
      .selectFrom("deployment_events")
      .select("release")
      .distinct()
      .where("app_id", "=", appId)
      .where("env_id", "=", envId)
      .where("kind", "=", kind)
      .where("release", "is not", null)
      .orderBy("release")
      .execute();
    return rows.map((r) => r.release as number);
  }

  async lastId(appId: number, envId: number): Promise<number> {
    const row = await this.db
      .selectFrom("deployment_events")
      .select((eb) => eb.fn.max("id").as("max"))
      .where("app_id", "=", appId)
      .where("env_id", "=", envId)
      .executeTakeFirst();
    return Number(row?.max ?? 0);
  }
}
