import type { Insertable, Kysely, Selectable } from "kysely";
import { nowIso } from "./now-iso.js";
import type { Database } from "./schema.js";

export type ReleaseRow = Selectable<Database["releases"]>;
export type NewRelease = Omit<Insertable<Database["releases"]>, "id" | "number" | "created_at">;

export class ReleaseRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** The number the next create() in this transaction will give. */
  async nextNumber(appId: number, envId: number): Promise<number> {
    const last = await this.db
      .selectFrom("releases")
      .select((eb) => eb.fn.max("number").as("max"))
      .where("app_id", "=", appId)
      .where("env_id", "=", envId)
      .executeTakeFirst();
    return Number(last?.max ?? 0) + 1;
  }

  /** The highest release row id anywhere (0: none): rows above it were made since it was read. */
  async maxId(): Promise<number> {
    const last = await this.db
      .selectFrom("releases")
      .select((eb) => eb.fn.max("id").as("max"))
      .executeTakeFirst();
    return Number(last?.max ?? 0);
  }

  /** Numbers count up per app per environment; the unique constraint catches a racing writer. */
  async create(release: NewRelease): Promise<ReleaseRow> {
    const number = await this.nextNumber(release.app_id, release.env_id);
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

  /** For key rotation: every release holding sealed config. */
  listSealed(): Promise<ReleaseRow[]> {
    return this.db.selectFrom("releases").selectAll().where("sealed", "is not", null).orderBy("id").execute();
  }

  /** The one change a release ever sees: its sealed part re-encrypted under a new key, same plaintext. */
  async replaceSealed(id: number, sealed: string): Promise<void> {
    await this.db.updateTable("releases").set({ sealed }).where("id", "=", id).execute();
  }

  /** The newest release, whatever its state: what a new release's changes are measured against. */
  latest(appId: number, envId: number): Promise<ReleaseRow | undefined> {
    return this.db
      .selectFrom("releases")
      .selectAll()
      .where("app_id", "=", appId)
      .where("env_id", "=", envId)
      .orderBy("number", "desc")
      .limit(1)
      .executeTakeFirst();
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
