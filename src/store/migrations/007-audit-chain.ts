import type { Kysely, Migration } from "kysely";
import { auditHash, type ChainedFields, GENESIS } from "../audit-chain.js";

/**
 * Audit rows name the object a call created or changed (kind, name, environment) and summarise
 * the change; every row is hash-chained to the one before (audit-chain.ts). Rows written before
 * this migration are chained now, in id order, so `berth audit verify` covers them too.
 * `audit_chain` holds the head: appending updates it first, which serialises writers on every
 * dialect (a row lock on PostgreSQL, the write lock on SQLite).
 */
export function auditChainMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      for (const column of ["env", "object_kind", "object_name", "change", "prev_hash", "hash"])
        await db.schema.alterTable("audit_log").addColumn(column, "text").execute();
      await db.schema
        .createTable("audit_chain")
        .addColumn("id", "integer", (c) => c.primaryKey())
        .addColumn("head", "text", (c) => c.notNull())
        .addColumn("rows", "integer", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("audit_log_object")
        .on("audit_log")
        .columns(["tenant", "object_kind", "object_name"])
        .execute();
      // Migrations see the schema as it was then, untyped.
      const q = db as Kysely<any>;
      let head = GENESIS;
      let rows = 0;
      for (let after = 0; ; ) {
        const page = (await q
          .selectFrom("audit_log")
          .selectAll()
          .where("id", ">", after)
          .orderBy("id")
          .limit(1000)
          .execute()) as Omit<ChainedFields, "prev_hash">[];
        if (page.length === 0) break;
        for (const r of page) {
          const fields: ChainedFields = {
            ...r,
            id: Number(r.id),
            token_id: r.token_id === null ? null : Number(r.token_id),
            result: Number(r.result),
            env: null,
            object_kind: null,
            object_name: null,
            change: null,
            detail: r.detail ?? null,
            prev_hash: head,
          };
          head = auditHash(fields);
          await q
            .updateTable("audit_log")
            .set({ prev_hash: fields.prev_hash, hash: head })
            .where("id", "=", r.id)
            .execute();
          rows++;
        }
        after = Number(page[page.length - 1]?.id);
      }
      await q.insertInto("audit_chain").values({ id: 1, head, rows }).execute();
    },
  };
}
