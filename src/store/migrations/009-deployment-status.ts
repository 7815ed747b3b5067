import { type Kysely, type Migration, sql } from "kysely";

/**
 * Spec apart from status. `deployments` keeps what was asked (the release, replicas, health
 * timeout, and since when: `requested_at`); `deployment_status` holds what the reconciler
 * achieved and only it writes: the serving release, the phase and its message, the release it last
 * settled (`observed_release`), ready and total replicas, and the last failure with its reason. A
 * failed rollout is recorded here; the spec keeps the release the user asked for. The phase,
 * message, serving_release and rollout_started_at columns of `deployments` are no longer read
 * (kept: dropping a column rebuilds the table on SQLite).
 */
export function deploymentStatusMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable("deployments").addColumn("requested_at", "text").execute();
      await db.schema
        .createTable("deployment_status")
        .addColumn("app_id", "integer", (c) => c.notNull().references("apps.id").onDelete("cascade"))
        .addColumn("env_id", "integer", (c) => c.notNull().references("environments.id").onDelete("cascade"))
        .addColumn("serving_release", "integer")
        .addColumn("phase", "text", (c) => c.notNull())
        .addColumn("message", "text", (c) => c.notNull())
        .addColumn("rollout_started_at", "text")
        .addColumn("observed_release", "integer")
        .addColumn("ready_replicas", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("total_replicas", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("failed_release", "integer")
        .addColumn("failure_reason", "text")
        .addColumn("failed_at", "text")
        .addColumn("updated_at", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("deployment_status_pk", ["app_id", "env_id"])
        .execute();
      // What an existing install had in its one row: the reconciler settled the release it points at
      // (a failure had already pointed it back at the serving release).
      await sql`
        insert into deployment_status
          (app_id, env_id, serving_release, phase, message, rollout_started_at, observed_release,
           ready_replicas, total_replicas, updated_at)
        select app_id, env_id, serving_release, phase, message, rollout_started_at, release, 0, 0, updated_at
        from deployments`.execute(db);
      await sql`update deployments set requested_at = rollout_started_at`.execute(db);
    },
  };
}
