import type { Kysely, Selectable } from "kysely";
import { auditHash, GENESIS } from "./audit-chain.js";
import type { Database } from "./schema.js";

export type AuditRow = Selectable<Database["audit_log"]>;
export type NewAuditRow = Omit<AuditRow, "id" | "prev_hash" | "hash">;

export interface AuditFilter {
  tenant?: string;
  env?: string;
  actor?: string;
  objectKind?: string;
  objectName?: string;
  since?: string;
}

/** What a walk along the chain found: each row that does not fit, and why. */
export interface ChainProblem {
  id: number;
  problem: "edited" | "inserted" | "deleted-before" | "missing-at-end" | "head-not-found";
}
export interface ChainReport {
  rows: number;
  head: string;
  problems: ChainProblem[];
}

/**
 * Append-only by construction: no method edits or deletes a row. Each row is chained to the one
 * before by its hash; appending bumps the chain's head row first, which serialises appends on
 * every dialect, so the chain never forks.
 */
export class AuditRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async append(row: NewAuditRow): Promise<void> {
    if (this.db.isTransaction) return this.#append(this.db, row);
    await this.db.transaction().execute((tx) => this.#append(tx, row));
  }

  async #append(db: Kysely<Database>, row: NewAuditRow): Promise<void> {
    await db
      .updateTable("audit_chain")
      .set((eb) => ({ rows: eb("rows", "+", 1) }))
      .where("id", "=", 1)
      .execute();
    const chain = await db
      .selectFrom("audit_chain")
      .select("head")
      .where("id", "=", 1)
      .executeTakeFirstOrThrow();
    const { id } = await db
      .insertInto("audit_log")
      .values({ ...row, prev_hash: chain.head, hash: null })
      .returning("id")
      .executeTakeFirstOrThrow();
    const hash = auditHash({ ...row, id: Number(id), prev_hash: chain.head });
    await db.updateTable("audit_log").set({ hash }).where("id", "=", id).execute();
    await db.updateTable("audit_chain").set({ head: hash }).where("id", "=", 1).execute();
  }

  #filtered(filter: AuditFilter) {
    let q = this.db.selectFrom("audit_log").selectAll();
    if (filter.tenant !== undefined) q = q.where("tenant", "=", filter.tenant);
    if (filter.env !== undefined) q = q.where("env", "=", filter.env);
    if (filter.actor !== undefined) q = q.where("actor", "=", filter.actor);
    if (filter.objectKind !== undefined) q = q.where("object_kind", "=", filter.objectKind);
    if (filter.objectName !== undefined) q = q.where("object_name", "=", filter.objectName);
    if (filter.since !== undefined) q = q.where("at", ">=", filter.since);
    return q;
  }

  /** Oldest first, the newest `limit` rows that match. */
  async list(filter: AuditFilter & { limit: number }): Promise<AuditRow[]> {
    const rows = await this.#filtered(filter).orderBy("id", "desc").limit(filter.limit).execute();
    return rows.reverse();
  }

  /** Every matching row, oldest first, a page at a time: for streaming the whole log out. */
  async *each(filter: AuditFilter, pageSize = 500, upTo = Number.MAX_SAFE_INTEGER): AsyncGenerator<AuditRow> {
    for (let after = 0; ; ) {
      const page = await this.#filtered(filter)
        .where("id", ">", after)
        .where("id", "<=", upTo)
        .orderBy("id")
        .limit(pageSize)
        .execute();
      for (const row of page) yield row;
      if (page.length < pageSize) return;
      after = Number(page[page.length - 1]?.id);
    }
  }

  /**
   * Walks the whole chain. A row whose hash does not match its own content was edited; a row
   * whose link does not match the row before is either inserted there (the row after it links
   * past it) or follows deleted rows. The head row says where Berth's last append ended: rows
   * after it were added behind Berth's back, and a head that no row has means rows were cut
   * from the end.
   */
  async verify(keptHead?: string): Promise<ChainReport> {
    // The head and the last row id in one statement (one snapshot on every dialect): rows
    // appended while the walk goes on come after it and are left to the next verify.
    const chain = await this.db
      .selectFrom("audit_chain")
      .select([
        "head",
        (eb) =>
          eb
            .selectFrom("audit_log")
            .select((e) => e.fn.max("id").as("m"))
            .as("last"),
      ])
      .where("id", "=", 1)
      .executeTakeFirst();
    const upTo = chain?.last === null || chain?.last === undefined ? 0 : Number(chain.last);
    const problems: ChainProblem[] = [];
    let previous = GENESIS;
    let pending: AuditRow | undefined;
    let rows = 0;
    let lastId = 0;
    let headAt: number | null = chain?.head === GENESIS ? 0 : null;
    const after: number[] = [];
    // A chain rewritten whole (every hash recomputed) is consistent in itself; only a head kept
    // outside the database, from an earlier verify, shows it: that hash must still be a row's.
    let keptFound = keptHead === undefined || keptHead === GENESIS;
    const judge = (row: AuditRow, next: AuditRow | undefined) => {
      const id = Number(row.id);
      const fields = {
        ...row,
        id,
        token_id: row.token_id === null ? null : Number(row.token_id),
        result: Number(row.result),
        prev_hash: row.prev_hash ?? "",
      };
      if (row.hash === null || auditHash(fields) !== row.hash) problems.push({ id, problem: "edited" });
      // Two rows claiming the same predecessor: the first of them was slipped in before the second.
      if (row.prev_hash === previous && next !== undefined && next.prev_hash === previous) {
        problems.push({ id, problem: "inserted" });
        return;
      }
      if (row.prev_hash !== previous) {
        if (next !== undefined && next.prev_hash === previous) {
          // The row after links to the row before: this one was put in between.
          problems.push({ id, problem: "inserted" });
          return;
        }
        problems.push({ id, problem: "deleted-before" });
      }
      previous = row.hash ?? "";
      if (row.hash === keptHead) keptFound = true;
      if (headAt !== null) after.push(id);
      if (chain && row.hash === chain.head) {
        headAt = id;
        after.length = 0;
      }
    };
    for await (const row of this.each({}, 500, upTo)) {
      rows++;
      lastId = Number(row.id);
      if (pending) judge(pending, row);
      pending = row;
    }
    if (pending) judge(pending, undefined);
    if (chain && headAt === null) problems.push({ id: lastId + 1, problem: "missing-at-end" });
    if (!keptFound) problems.push({ id: 0, problem: "head-not-found" });
    for (const id of after)
      if (!problems.some((p) => p.id === id)) problems.push({ id, problem: "inserted" });
    return { rows, head: previous, problems };
  }
}
