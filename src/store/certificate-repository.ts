import type { Kysely, Selectable } from "kysely";
import { nowIso } from "./now-iso.js";
import type { Database } from "./schema.js";

export type CertificateRow = Selectable<Database["certificates"]>;

/** One TLS certificate per host, issued by Berth's CA or uploaded. */
export class CertificateRepository {
  constructor(private readonly db: Kysely<Database>) {}

  find(host: string): Promise<CertificateRow | undefined> {
    return this.db.selectFrom("certificates").selectAll().where("host", "=", host).executeTakeFirst();
  }

  listAll(): Promise<CertificateRow[]> {
    return this.db.selectFrom("certificates").selectAll().orderBy("host").execute();
  }

  async put(row: Omit<CertificateRow, "updated_at">): Promise<void> {
    const values = { ...row, updated_at: nowIso() };
    await this.db
      .insertInto("certificates")
      .values(values)
      .onConflict((oc) => oc.column("host").doUpdateSet(values))
      .execute();
  }

  async remove(host: string): Promise<void> {
    await this.db.deleteFrom("certificates").where("host", "=", host).execute();
  }
}
