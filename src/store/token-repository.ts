import type { Kysely, Selectable } from "kysely";
import { nowIso } from "./now-iso.js";
import type { Database } from "./schema.js";

export type TokenRow = Selectable<Database["api_tokens"]>;

/** Only hashes are stored: a leaked database does not leak working tokens. */
export class TokenRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async create(name: string, tokenHash: string): Promise<void> {
    await this.db
      .insertInto("api_tokens")
      .values({ name, token_hash: tokenHash, created_at: nowIso() })
      .execute();
  }

  findByHash(tokenHash: string): Promise<TokenRow | undefined> {
    return this.db
      .selectFrom("api_tokens")
      .selectAll()
      .where("token_hash", "=", tokenHash)
      .executeTakeFirst();
  }

  async count(): Promise<number> {
    const row = await this.db
      .selectFrom("api_tokens")
      .select((eb) => eb.fn.countAll().as("n"))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}
