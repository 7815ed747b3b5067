import type { Kysely } from "kysely";
import { nowIso } from "./now-iso.js";
import { type NewRelease, type ReleaseRow, releaseColumns, toReleaseRow } from "./release-record.js";
import type { Database } from "./schema.js";

export type { FileContent, NewRelease, ReleaseRow } from "./release-record.js";

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
    return toReleaseRow(
      await this.db
        .insertInto("releases")
        .values({ ...releaseColumns(release), number, created_at: nowIso() })
        .returningAll()
        .executeTakeFirstOrThrow(),
    );
  }

  async list(appId: number, envId: number): Promise<ReleaseRow[]> {
    const rows = await this.db
      .selectFrom("releases")
      .selectAll()
      .where("app_id", "=", appId)
      .where("env_id", "=", envId)
      .orderBy("number", "desc")
      .execute();
    return rows.map(toReleaseRow);
  }

  /** For key rotation: every release holding sealed config. */
  async listSealed(): Promise<ReleaseRow[]> {
    const rows = await this.db
      .selectFrom("releases")
      .selectAll()
      .where("sealed", "is not", null)
      .orderBy("id")
      .execute();
    return rows.map(toReleaseRow);
  }

  /** The one change a release ever sees: its sealed part re-encrypted under a new key, same plaintext. */
  async replaceSealed(id: number, sealed: string): Promise<void> {
    await this.db.updateTable("releases").set({ sealed }).where("id", "=", id).execute();
  }

  /** The newest release, whatever its state: what a new release's changes are measured against. */
  async latest(appId: number, envId: number): Promise<ReleaseRow | undefined> {
    const row = await this.db
      .selectFrom("releases")
      .selectAll()
      .where("app_id", "=", appId)
      .where("env_id", "=", envId)
      .orderBy("number", "desc")
      .limit(1)
      .executeTakeFirst();
    return row && toReleaseRow(row);
  }

  async find(appId: number, envId: number, number: number): Promise<ReleaseRow | undefined> {
    const row = await this.db
      .selectFrom("releases")
      .selectAll()
      .where("app_id", "=", appId)
      .where("env_id", "=", envId)
      .where("number", "=", number)
      .executeTakeFirst();
    return row && toReleaseRow(row);
  }
}
