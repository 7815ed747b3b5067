import { type Kysely, type Migration, sql } from "kysely";
import type { IdColumn } from "./id-column.js";

/**
 * Layered config, secrets, files and settings; releases gain their config snapshot.
 * Scope columns use 0 for "every app" / "every environment" (not NULL) so the unique
 * constraints hold on SQLite and PostgreSQL alike.
 */
export function configMigration(id: IdColumn): Migration {
  return {
    async up(db: Kysely<unknown>) {
      for (const [table, keyColumn] of [
        ["config_entries", "key"],
        ["config_files", "path"],
        ["settings", "name"],
      ] as const) {
        let t = db.schema
          .createTable(table)
          .addColumn("id", ...id)
          .addColumn("tenant_id", "integer", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
          .addColumn("app_id", "integer", (c) => c.notNull())
          .addColumn("env_id", "integer", (c) => c.notNull())
          .addColumn(keyColumn, "text", (c) => c.notNull());
        if (table === "config_entries") t = t.addColumn("secret", "integer", (c) => c.notNull());
        t = t
          .addColumn("value", "text", (c) => c.notNull())
          .addColumn("updated_at", "text", (c) => c.notNull())
          .addUniqueConstraint(`${table}_scope_key`, ["tenant_id", "app_id", "env_id", keyColumn]);
        await t.execute();
      }
      for (const [column, type, fallback] of [
        ["config_json", "text", "'{}'"],
        ["files_json", "text", "'[]'"],
        ["resources_json", "text", "'{}'"],
        ["release_values", "text", "'{}'"],
        ["changes", "text", "''"],
      ] as const) {
        await db.schema
          .alterTable("releases")
          .addColumn(column, type, (c) => c.notNull().defaultTo(sql.raw(fallback)))
          .execute();
      }
      await db.schema.alterTable("releases").addColumn("sealed", "text").execute();
      await db.schema.alterTable("releases").addColumn("promoted_from", "text").execute();

      // Deploy flags used to live on releases; they are now the app-env settings layer, seeded
      // from what each deployment runs so the next deploy keeps its port and health check.
      const now = new Date().toISOString();
      for (const [name, expr] of [
        ["port", "r.port"],
        ["healthPath", "'\"' || r.health_path || '\"'"],
        ["healthTimeout", "d.health_timeout_s"],
        ["replicas", "d.replicas"],
      ] as const) {
        await sql`
          insert into settings (tenant_id, app_id, env_id, name, value, updated_at)
          select a.tenant_id, d.app_id, d.env_id, ${name}, cast(${sql.raw(expr)} as text), ${now}
          from deployments d
          join apps a on a.id = d.app_id
          join releases r on r.app_id = d.app_id and r.env_id = d.env_id
            and r.number = coalesce(d.release, d.serving_release)
        `.execute(db);
      }
    },
    async down(db: Kysely<unknown>) {
      for (const column of [
        "config_json",
        "files_json",
        "resources_json",
        "release_values",
        "changes",
        "sealed",
        "promoted_from",
      ])
        await db.schema.alterTable("releases").dropColumn(column).execute();
      await db.schema.dropTable("settings").execute();
      await db.schema.dropTable("config_files").execute();
      await db.schema.dropTable("config_entries").execute();
    },
  };
}
