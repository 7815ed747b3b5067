import type { Kysely, Selectable } from "kysely";
import { nowIso } from "./now-iso.js";
import type { Database } from "./schema.js";
import { storedBoolean } from "./stored-json.js";

type Raw = Selectable<Database["users"]>;
export type UserRow = Omit<Raw, "admin"> & { admin: boolean };
const toRow = (r: Raw): UserRow => ({ ...r, admin: storedBoolean(r.admin) });

export class UserRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async create(name: string, passwordHash: string | null, admin: boolean): Promise<UserRow> {
    const row = await this.db
      .insertInto("users")
      .values({ name, password_hash: passwordHash, admin: admin ? 1 : 0, created_at: nowIso() })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toRow(row);
  }

  async find(name: string): Promise<UserRow | undefined> {
    const row = await this.db.selectFrom("users").selectAll().where("name", "=", name).executeTakeFirst();
    return row && toRow(row);
  }

  async findById(id: number): Promise<UserRow | undefined> {
    const row = await this.db.selectFrom("users").selectAll().where("id", "=", id).executeTakeFirst();
    return row && toRow(row);
  }

  async list(): Promise<UserRow[]> {
    return (await this.db.selectFrom("users").selectAll().orderBy("name").execute()).map(toRow);
  }

  async countAdmins(): Promise<number> {
    const row = await this.db
      .selectFrom("users")
      .select((eb) => eb.fn.countAll().as("n"))
      .where("admin", "=", 1)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async setPassword(id: number, passwordHash: string): Promise<void> {
    await this.db.updateTable("users").set({ password_hash: passwordHash }).where("id", "=", id).execute();
  }

  /** Memberships and tokens go with the user (ON DELETE CASCADE). */
  async delete(id: number): Promise<void> {
    await this.db.deleteFrom("users").where("id", "=", id).execute();
  }
}
