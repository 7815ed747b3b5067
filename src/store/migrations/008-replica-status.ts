import type { Kysely, Migration } from "kysely";

/**
 * What the reconciler last saw of each replica: its state, where it answers, and its health with
 * the time of its last probe. Written only by the reconciler (and its health monitor); `berth ps`
 * and the API read it instead of asking the engine and probing on every call.
 */
export function replicaStatusMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("replica_status")
        .addColumn("app_id", "integer", (c) => c.notNull().references("apps.id").onDelete("cascade"))
        .addColumn("env_id", "integer", (c) => c.notNull().references("environments.id").onDelete("cascade"))
        .addColumn("workload_id", "text", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("release", "integer", (c) => c.notNull())
        .addColumn("slot", "integer", (c) => c.notNull())
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("node", "text")
        .addColumn("detail", "text")
        .addColumn("host_port", "integer")
        .addColumn("address", "text")
        .addColumn("port", "integer")
        /** 1: the last verdict was healthy. */
        .addColumn("healthy", "integer", (c) => c.notNull())
        /** Failed probes in a row (the health monitor's count). */
        .addColumn("failures", "integer", (c) => c.notNull())
        .addColumn("last_probe_at", "text")
        .addColumn("unhealthy_since", "text")
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("observed_at", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("replica_status_pk", ["app_id", "env_id", "workload_id"])
        .execute();
    },
  };
}
