import type { Kysely, Migration } from "kysely";
import type { IdColumn } from "./id-column.js";

/** Canary releases with their traffic rules, custom routes, and TLS certificates per host. */
export function canariesRoutesMigration(id: IdColumn): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("canaries")
        .addColumn("id", ...id)
        .addColumn("app_id", "integer", (c) => c.notNull().references("apps.id").onDelete("cascade"))
        .addColumn("env_id", "integer", (c) => c.notNull().references("environments.id").onDelete("cascade"))
        .addColumn("mode", "text", (c) => c.notNull())
        .addColumn("phase", "text", (c) => c.notNull())
        .addColumn("release", "integer", (c) => c.notNull())
        .addColumn("stable_release", "integer", (c) => c.notNull())
        .addColumn("replicas", "integer", (c) => c.notNull())
        .addColumn("health_timeout_s", "integer", (c) => c.notNull())
        .addColumn("rules", "text", (c) => c.notNull())
        .addColumn("rollout", "text")
        .addColumn("step_index", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("step_started_at", "text")
        .addColumn("message", "text", (c) => c.notNull())
        .addColumn("started_at", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("canaries_app_env").on("canaries").columns(["app_id", "env_id"]).execute();

      await db.schema
        .createTable("app_routes")
        .addColumn("id", ...id)
        .addColumn("app_id", "integer", (c) => c.notNull().references("apps.id").onDelete("cascade"))
        .addColumn("env_id", "integer", (c) => c.notNull().references("environments.id").onDelete("cascade"))
        .addColumn("host", "text", (c) => c.notNull())
        .addColumn("path", "text", (c) => c.notNull())
        .addColumn("tls", "text", (c) => c.notNull())
        .addColumn("redirect_https", "integer", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addUniqueConstraint("app_routes_host_path", ["host", "path"])
        .execute();

      await db.schema
        .createTable("certificates")
        .addColumn("host", "text", (c) => c.primaryKey())
        .addColumn("issuer", "text", (c) => c.notNull())
        .addColumn("cert_pem", "text", (c) => c.notNull())
        .addColumn("key_pem", "text", (c) => c.notNull())
        .addColumn("not_after", "text", (c) => c.notNull())
        .addColumn("fingerprint", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable("certificates").execute();
      await db.schema.dropTable("app_routes").execute();
      await db.schema.dropTable("canaries").execute();
    },
  };
}
