import type { Kysely, Migration } from "kysely";
import type { IdColumn } from "./id-column.js";

export function initialMigration(id: IdColumn): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("tenants")
        .addColumn("id", ...id)
        .addColumn("name", "text", (c) => c.notNull().unique())
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      for (const table of ["environments", "apps"]) {
        await db.schema
          .createTable(table)
          .addColumn("id", ...id)
          .addColumn("tenant_id", "integer", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
          .addColumn("name", "text", (c) => c.notNull())
          .addColumn("created_at", "text", (c) => c.notNull())
          .addUniqueConstraint(`${table}_tenant_name`, ["tenant_id", "name"])
          .execute();
      }
      await db.schema
        .createTable("releases")
        .addColumn("id", ...id)
        .addColumn("app_id", "integer", (c) => c.notNull().references("apps.id").onDelete("cascade"))
        .addColumn("env_id", "integer", (c) => c.notNull().references("environments.id").onDelete("cascade"))
        .addColumn("number", "integer", (c) => c.notNull())
        .addColumn("image", "text", (c) => c.notNull())
        .addColumn("image_id", "text", (c) => c.notNull())
        .addColumn("port", "integer", (c) => c.notNull())
        .addColumn("health_path", "text", (c) => c.notNull())
        .addColumn("source", "text", (c) => c.notNull())
        .addColumn("rolled_back_from", "integer")
        .addColumn("created_at", "text", (c) => c.notNull())
        .addUniqueConstraint("releases_app_env_number", ["app_id", "env_id", "number"])
        .execute();
      await db.schema
        .createTable("deployments")
        .addColumn("id", ...id)
        .addColumn("app_id", "integer", (c) => c.notNull().references("apps.id").onDelete("cascade"))
        .addColumn("env_id", "integer", (c) => c.notNull().references("environments.id").onDelete("cascade"))
        .addColumn("release", "integer")
        .addColumn("replicas", "integer", (c) => c.notNull())
        .addColumn("serving_release", "integer")
        .addColumn("phase", "text", (c) => c.notNull())
        .addColumn("message", "text", (c) => c.notNull())
        .addColumn("rollout_started_at", "text")
        .addColumn("health_timeout_s", "integer", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .addUniqueConstraint("deployments_app_env", ["app_id", "env_id"])
        .execute();
      await db.schema
        .createTable("deployment_events")
        .addColumn("id", ...id)
        .addColumn("app_id", "integer", (c) => c.notNull().references("apps.id").onDelete("cascade"))
        .addColumn("env_id", "integer", (c) => c.notNull().references("environments.id").onDelete("cascade"))
        .addColumn("release", "integer")
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("message", "text", (c) => c.notNull())
        .addColumn("at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("deployment_events_app_env")
        .on("deployment_events")
        .columns(["app_id", "env_id", "id"])
        .execute();
      await db.schema
        .createTable("endpoints")
        .addColumn("app_id", "integer", (c) => c.notNull().references("apps.id").onDelete("cascade"))
        .addColumn("env_id", "integer", (c) => c.notNull().references("environments.id").onDelete("cascade"))
        .addColumn("container_id", "text", (c) => c.notNull())
        .addColumn("address", "text", (c) => c.notNull())
        .addColumn("port", "integer", (c) => c.notNull())
        .addColumn("release", "integer", (c) => c.notNull())
        .addPrimaryKeyConstraint("endpoints_pk", ["app_id", "env_id", "container_id"])
        .execute();
      await db.schema
        .createTable("api_tokens")
        .addColumn("id", ...id)
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("token_hash", "text", (c) => c.notNull().unique())
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
    },
  };
}
