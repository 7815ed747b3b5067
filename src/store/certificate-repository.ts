import type { Kysely, Selectable } from "kysely";
import type { SecretBox } from "../domain/secret-box.js";
import { nowIso } from "./now-iso.js";
import type { Database } from "./schema.js";

export type CertificateRow = Selectable<Database["certificates"]>;

const SEALED = "berth:v1:";
const context = (host: string) => `certificate:${host}`;

/**
 * One TLS certificate per host, issued by Berth's CA or uploaded. Private keys are sealed at
 * rest when the store has a SecretBox; callers always see the PEM.
 */
export class CertificateRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly box?: SecretBox,
  ) {}

  async find(host: string): Promise<CertificateRow | undefined> {
    const row = await this.db
      .selectFrom("certificates")
      .selectAll()
      .where("host", "=", host)
      .executeTakeFirst();
    return row && this.opened(row);
  }

  async listAll(): Promise<CertificateRow[]> {
    const rows = await this.db.selectFrom("certificates").selectAll().orderBy("host").execute();
    return rows.map((r) => this.opened(r));
  }

  /** Seals every key again under the current key (or, with onlyPlain, those stored before sealing). */
  async reseal(onlyPlain: boolean): Promise<number> {
    if (!this.box) return 0;
    const rows = await this.db
      .selectFrom("certificates")
      .select(["host", "key_pem"])
      .orderBy("host")
      .execute();
    let n = 0;
    for (const r of rows) {
      const plain = !r.key_pem.startsWith(SEALED);
      if (onlyPlain && !plain) continue;
      const pem = plain ? r.key_pem : this.box.open(r.key_pem, context(r.host));
      await this.db
        .updateTable("certificates")
        .set({ key_pem: this.box.seal(pem, context(r.host)) })
        .where("host", "=", r.host)
        .execute();
      n++;
    }
    return n;
  }

  /** Key ids still sealing a certificate key. */
  async keyIds(): Promise<string[]> {
    if (!this.box) return [];
    const box = this.box;
    const rows = await this.db.selectFrom("certificates").select("key_pem").execute();
    return rows.filter((r) => r.key_pem.startsWith(SEALED)).map((r) => box.keyIdOf(r.key_pem));
  }

  async put(row: Omit<CertificateRow, "updated_at">): Promise<void> {
    const keyPem = this.box ? this.box.seal(row.key_pem, context(row.host)) : row.key_pem;
    const values = { ...row, key_pem: keyPem, updated_at: nowIso() };
    await this.db
      .insertInto("certificates")
      .values(values)
      .onConflict((oc) => oc.column("host").doUpdateSet(values))
      .execute();
  }

  private opened(row: CertificateRow): CertificateRow {
    if (!this.box || !row.key_pem.startsWith(SEALED)) return row;
    return { ...row, key_pem: this.box.open(row.key_pem, context(row.host)) };
  }
  async remove(host: string): Promise<void> {
    await this.db.deleteFrom("certificates").where("host", "=", host).execute();
  }
}
