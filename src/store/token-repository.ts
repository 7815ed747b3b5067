import type { Insertable, Kysely, Selectable } from "kysely";
import { nowIso } from "./now-iso.js";
import type { Database } from "./schema.js";
import { storedBoolean } from "./stored-json.js";

export type TokenRow = Selectable<Database["api_tokens"]>;

/** A token with the names of what it belongs to, as authentication and listings need it. */
export interface TokenView extends TokenRow {
  user: string;
  user_admin: boolean;
  tenant: string | null;
  env: string | null;
}

/** Only hashes are stored: a leaked database does not leak working tokens. */
export class TokenRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async create(row: Omit<Insertable<Database["api_tokens"]>, "id" | "created_at">): Promise<number> {
    const created = await this.db
      .insertInto("api_tokens")
      .values({ ...row, created_at: nowIso() })
      .returning("id")
      .executeTakeFirstOrThrow();
    return created.id;
  }

  private joined() {
    return this.db
      .selectFrom("api_tokens")
      .innerJoin("users", "users.id", "api_tokens.user_id")
      .leftJoin("tenants", "tenants.id", "api_tokens.tenant_id")
      .leftJoin("environments", "environments.id", "api_tokens.env_id")
      .selectAll("api_tokens")
      .select([
        "users.name as user",
        "users.admin as user_admin",
        "tenants.name as tenant",
        "environments.name as env",
      ]);
  }

  async findByHash(tokenHash: string): Promise<TokenView | undefined> {
    const row = await this.joined().where("api_tokens.token_hash", "=", tokenHash).executeTakeFirst();
    return row && toView(row);
  }

  async find(id: number): Promise<TokenView | undefined> {
    const row = await this.joined().where("api_tokens.id", "=", id).executeTakeFirst();
    return row && toView(row);
  }

  /** Newest first; all users' when userId is undefined. */
  async list(filter: { userId?: number; tenantId?: number }): Promise<TokenView[]> {
    let q = this.joined();
    if (filter.userId !== undefined) q = q.where("api_tokens.user_id", "=", filter.userId);
    if (filter.tenantId !== undefined) q = q.where("api_tokens.tenant_id", "=", filter.tenantId);
    return (await q.orderBy("api_tokens.id", "desc").execute()).map(toView);
  }

  async revoke(id: number): Promise<void> {
    await this.db
      .updateTable("api_tokens")
      .set({ revoked_at: nowIso() })
      .where("id", "=", id)
      .where("revoked_at", "is", null)
      .execute();
  }

  async touch(id: number): Promise<void> {
    await this.db.updateTable("api_tokens").set({ last_used_at: nowIso() }).where("id", "=", id).execute();
  }

  async count(): Promise<number> {
    const row = await this.db
      .selectFrom("api_tokens")
      .select((eb) => eb.fn.countAll().as("n"))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}

const toView = <R extends { user_admin: number }>(r: R): Omit<R, "user_admin"> & { user_admin: boolean } => ({
  ...r,
  user_admin: storedBoolean(r.user_admin),
});
