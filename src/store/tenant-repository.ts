import type { Kysely, Selectable } from "kysely";
import { nowIso } from "./now-iso.js";
import type { Database } from "./schema.js";

export type TenantRow = Selectable<Database["tenants"]>;

export class TenantRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async create(name: string): Promise<TenantRow> {
    return this.db
      .insertInto("tenants")
      .values({ name, created_at: nowIso() })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  list(): Promise<TenantRow[]> {
    return this.db.selectFrom("tenants").selectAll().orderBy("name").execute();
  }

  find(name: string): Promise<TenantRow | undefined> {
    return this.db.selectFrom("tenants").selectAll().where("name", "=", name).executeTakeFirst();
  }

  findById(id: number): Promise<TenantRow | undefined> {
    return this.db.selectFrom("tenants").selectAll().where("id", "=", id).executeTakeFirst();
  }

  async delete(id: number): Promise<void> {
    await this.db.deleteFrom("tenants").where("id", "=", id).execute();
  }
}
