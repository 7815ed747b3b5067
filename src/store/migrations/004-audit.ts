import type { Kysely, Migration } from "kysely";
import type { IdColumn } from "./id-column.js";

/** The audit log: rows are only ever inserted (no repository method updates or deletes them). */
export function auditMigration(id: IdColumn): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("audit_log")
        .addColumn("id", ...id)
        .addColumn("at", "text", (c) => c.notNull())
        .addColumn("actor", "text", (c) => c.notNull())
        .addColumn("token_id", "integer")
        .addColumn("tenant", "text")
        .addColumn("action", "text", (c) => c.notNull())
        .addColumn("target", "text", (c) => c.notNull())
        .addColumn("result", "integer", (c) => c.notNull())
        .addColumn("source", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("audit_log_tenant_at").on("audit_log").columns(["tenant", "at"]).execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable("audit_log").execute();
    },
  };
}
