import type { Kysely, Migration } from "kysely";
import type { IdColumn } from "./id-column.js";

/**
 * Capability modules and what tenants make of them. `capability_modules` holds each module
 * version's files (so every server sharing the store can build its images) and its checked
 * manifest, for everyone (tenant_id 0) or one tenant. `service_instances` is the spec of a
 * provisioned service; `instance_status` is what its reconciler achieved, and only it writes there.
 * An instance runs as component apps (`apps.capability` names the capability they run), whose
 * deployments and releases go through the same reconciler, quotas and isolation policy as any app.
 * `service_bindings` holds each binding's own credentials, sealed; `service_operations` the
 * asynchronous operations users see (pending, in progress, succeeded, failed, with a reason).
 */
export function capabilitiesMigration(id: IdColumn): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("capability_modules")
        .addColumn("id", ...id)
        .addColumn("capability", "text", (c) => c.notNull())
        .addColumn("version", "text", (c) => c.notNull())
        .addColumn("tenant_id", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("manifest", "text", (c) => c.notNull())
        .addColumn("files", "text", (c) => c.notNull())
        .addColumn("digest", "text", (c) => c.notNull())
        .addColumn("source", "text", (c) => c.notNull())
        .addColumn("added_by", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addUniqueConstraint("capability_modules_version", ["capability", "version", "tenant_id"])
        .execute();
      await db.schema.alterTable("apps").addColumn("capability", "text").execute();
      await db.schema
        .createTable("service_instances")
        .addColumn("id", ...id)
        .addColumn("tenant_id", "integer", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
        .addColumn("env_id", "integer", (c) => c.notNull().references("environments.id").onDelete("cascade"))
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("module_id", "integer", (c) => c.notNull().references("capability_modules.id"))
        .addColumn("plan", "text", (c) => c.notNull())
        .addColumn("parameters", "text", (c) => c.notNull())
        .addColumn("secrets", "text", (c) => c.notNull())
        .addColumn("generation", "integer", (c) => c.notNull().defaultTo(1))
        .addColumn("deleting", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("keep_volume", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("created_by", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .addUniqueConstraint("service_instances_name", ["tenant_id", "env_id", "name"])
        .execute();
      await db.schema
        .createTable("instance_status")
        .addColumn("instance_id", "integer", (c) =>
          c.primaryKey().references("service_instances.id").onDelete("cascade"),
        )
        .addColumn("phase", "text", (c) => c.notNull())
        .addColumn("message", "text", (c) => c.notNull())
        .addColumn("observed_generation", "integer")
        .addColumn("ready_at", "text")
        .addColumn("updated_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("service_bindings")
        .addColumn("id", ...id)
        .addColumn("instance_id", "integer", (c) =>
          c.notNull().references("service_instances.id").onDelete("cascade"),
        )
        .addColumn("app_id", "integer", (c) => c.notNull().references("apps.id").onDelete("cascade"))
        .addColumn("env_id", "integer", (c) => c.notNull().references("environments.id").onDelete("cascade"))
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("username", "text", (c) => c.notNull())
        .addColumn("credentials", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("rotated_at", "text")
        .addColumn("state", "text", (c) => c.notNull().defaultTo("active"))
        .addColumn("revoke_after_release", "integer")
        .addUniqueConstraint("service_bindings_name", ["app_id", "env_id", "name"])
        .execute();
      await db.schema
        .createTable("service_operations")
        .addColumn("id", ...id)
        .addColumn("instance_id", "integer", (c) =>
          c.notNull().references("service_instances.id").onDelete("cascade"),
        )
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("reason", "text", (c) => c.notNull().defaultTo(""))
        .addColumn("requested_by", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("finished_at", "text")
        .execute();
      await db.schema
        .createIndex("service_operations_instance")
        .on("service_operations")
        .columns(["instance_id", "id"])
        .execute();
    },
  };
}
