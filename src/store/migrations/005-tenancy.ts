import { type Kysely, type Migration, sql } from "kysely";
import type { IdColumn } from "./id-column.js";

/**
 * Users, memberships, scoped tokens, protected environments, quotas, isolation exceptions and
 * network links. Tokens made before users existed belong to the bootstrap user `admin`.
 * Everything scoped to a tenant, environment or user goes with it (ON DELETE CASCADE): a token
 * must never outlive its scope and silently widen to "everything".
 */
export function tenancyMigration(id: IdColumn): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("users")
        .addColumn("id", ...id)
        .addColumn("name", "text", (c) => c.notNull().unique())
        .addColumn("password_hash", "text")
        .addColumn("admin", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      const now = new Date().toISOString();
      await sql`insert into users (name, password_hash, admin, created_at) values ('admin', null, 1, ${now})`.execute(
        db,
      );

      const tokens = () => db.schema.alterTable("api_tokens");
      await tokens()
        .addColumn("user_id", "integer", (c) => c.references("users.id").onDelete("cascade"))
        .execute();
      await tokens()
        .addColumn("tenant_id", "integer", (c) => c.references("tenants.id").onDelete("cascade"))
        .execute();
      await tokens()
        .addColumn("env_id", "integer", (c) => c.references("environments.id").onDelete("cascade"))
        .execute();
      await tokens().addColumn("role", "text").execute();
      await tokens()
        .addColumn("kind", "text", (c) => c.notNull().defaultTo("api"))
        .execute();
      for (const column of ["expires_at", "revoked_at", "last_used_at"])
        await tokens().addColumn(column, "text").execute();
      await sql`update api_tokens set user_id = (select id from users where name = 'admin') where user_id is null`.execute(
        db,
      );

      await db.schema
        .createTable("memberships")
        .addColumn("tenant_id", "integer", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
        .addColumn("user_id", "integer", (c) => c.notNull().references("users.id").onDelete("cascade"))
        .addColumn("role", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("memberships_pk", ["tenant_id", "user_id"])
        .execute();

      await db.schema.alterTable("environments").addColumn("min_role", "text").execute();

      await db.schema
        .createTable("quotas")
        .addColumn("id", ...id)
        .addColumn("tenant_id", "integer", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
        // 0: the tenant as a whole (the platform's limit); otherwise one environment.
        .addColumn("env_id", "integer", (c) => c.notNull())
        // Not "real": PostgreSQL's is 4 bytes; "double precision" is SQLite's REAL on both.
        .addColumn("cpus", "double precision")
        .addColumn("memory_mb", "integer")
        .addColumn("replicas", "integer")
        .addColumn("apps", "integer")
        .addColumn("updated_at", "text", (c) => c.notNull())
        .addUniqueConstraint("quotas_scope", ["tenant_id", "env_id"])
        .execute();

      await db.schema
        .createTable("policy_exceptions")
        .addColumn("id", ...id)
        .addColumn("tenant_id", "integer", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("values_json", "text", (c) => c.notNull())
        .addColumn("reason", "text", (c) => c.notNull())
        .addColumn("granted_by", "text", (c) => c.notNull())
        .addColumn("granted_at", "text", (c) => c.notNull())
        .addUniqueConstraint("policy_exceptions_kind", ["tenant_id", "kind"])
        .execute();

      await db.schema
        .createTable("network_links")
        .addColumn("id", ...id)
        .addColumn("app_id", "integer", (c) => c.notNull().references("apps.id").onDelete("cascade"))
        .addColumn("env_id", "integer", (c) => c.notNull().references("environments.id").onDelete("cascade"))
        .addColumn("to_app_id", "integer", (c) => c.notNull().references("apps.id").onDelete("cascade"))
        .addColumn("to_env_id", "integer", (c) =>
          c.notNull().references("environments.id").onDelete("cascade"),
        )
        .addColumn("created_by", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addUniqueConstraint("network_links_pair", ["app_id", "env_id", "to_app_id", "to_env_id"])
        .execute();

      await db.schema.alterTable("audit_log").addColumn("detail", "text").execute();
    },
    async down(db: Kysely<unknown>) {
      for (const table of ["network_links", "policy_exceptions", "quotas", "memberships"])
        await db.schema.dropTable(table).execute();
    },
  };
}
