import type { Insertable, Kysely, Selectable } from "kysely";
import { nowIso } from "./now-iso.js";
import type { Database } from "./schema.js";

export type ReleaseRow = Selectable<Database["releases"]>;
export type NewRelease = Omit<Insertable<Database["releases"]>, "id" | "number" | "created_at">;

export class ReleaseRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** Numbers count up per app per environment; the unique constraint catches a racing writer. */
  async create(release: NewRelease): Promise<ReleaseRow> {
    const last = await this.db
      .selectFrom("releases")
      .select((eb) => eb.fn.max("number").as("max"))
      .where("app_id", "=", release.app_id)
      .where("env_id", "=", release.env_id)
      .executeTakeFirst();
    const number = Number(last?.max ?? 0) + 1;
    return this.db
      .insertInto("releases")
      .values({ ...release, number, created_at: nowIso() })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  list(appId: number, envId: number): Promise<ReleaseRow[]> {
    return this.db
      .selectFrom("releases")
      .selectAll()
      .where("app_id", "=", appId)
      .where("env_id", "=", envId)
      .orderBy("number", "desc")
      .execute();
  }

  find(appId: number, envId: number, number: number): Promise<ReleaseRow | undefined> {
    return this.db
      .selectFrom("releases")
      .selectAll()
      .where("app_id", "=", appId)
      .where("env_id", "=", envId)
      .where("number", "=", number)
      .executeTakeFirst();
  }
}
