import type { Kysely, Migration } from "kysely";
import type { IdColumn } from "./id-column.js";

/**
 * Clusters (Swarm managers Berth drives) and the cluster each environment runs on. An
 * environment without one runs on the local engine, as every environment did before. A cluster
 * in use cannot be deleted (no cascade): its environments would lose where they run.
 */
export function clustersMigration(id: IdColumn): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("clusters")
        .addColumn("id", ...id)
        .addColumn("name", "text", (c) => c.notNull().unique())
        .addColumn("docker_host", "text", (c) => c.notNull())
        .addColumn("tls_ca", "text")
        .addColumn("tls_cert", "text")
        /** Sealed with the key ring, like every other secret. */
        .addColumn("tls_key", "text")
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .alterTable("environments")
        .addColumn("cluster_id", "integer", (c) => c.references("clusters.id"))
        .execute();
      await db.schema
        .createTable("bursts")
        .addColumn("app_id", "integer", (c) => c.notNull().references("apps.id").onDelete("cascade"))
        .addColumn("env_id", "integer", (c) => c.notNull().references("environments.id").onDelete("cascade"))
        .addColumn("prefer", "text", (c) => c.notNull())
        .addColumn("overflow", "text", (c) => c.notNull())
        .addColumn("max_overflow", "integer", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("bursts_pk", ["app_id", "env_id"])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable("bursts").execute();
      await db.schema.alterTable("environments").dropColumn("cluster_id").execute();
      await db.schema.dropTable("clusters").execute();
    },
  };
}
