import { type Kysely, type Migration, sql } from "kysely";

/**
 * Spec apart from status. `deployments` keeps what was asked (the release, replicas, health
 * timeout, since when: `requested_at`, and `generation`, counted up on every change of release); `deployment_status` holds what the reconciler
 * achieved and only it writes: the serving release, the phase and its message, the release it last
 * settled (`observed_release`, and of which generation), ready and total replicas, and the last
 * failure with its reason (and generation: asking for a failed release again is a new request). A
 * failed rollout is recorded here; the spec keeps the release the user asked for. The phase,
 * message, serving_release and rollout_started_at columns of `deployments` are no longer read
 * (kept: dropping a column rebuilds the table on SQLite).
 */
export function deploymentStatusMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable("deployments").addColumn("requested_at", "text").execute();
      await db.schema
        .alterTable("deployments")
        .addColumn("generation", "integer", (c) => c.notNull().defaultTo(1))
        .execute();
      await db.schema
        .createTable("deployment_status")
        .addColumn("app_id", "integer", (c) => c.notNull().references("apps.id").onDelete("cascade"))
        .addColumn("env_id", "integer", (c) => c.notNull().references("environments.id").onDelete("cascade"))
        .addColumn("serving_release", "integer")
        .addColumn("phase", "text", (c) => c.notNull())
        .addColumn("message", "text", (c) => c.notNull())
        .addColumn("rollout_started_at", "text")
        .addColumn("observed_release", "integer")
        .addColumn("observed_generation", "integer")
        .addColumn("ready_replicas", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("total_replicas", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("failed_release", "integer")
        .addColumn("failed_generation", "integer")
        .addColumn("failure_reason", "text")
        .addColumn("failed_at", "text")
        .addColumn("updated_at", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("deployment_status_pk", ["app_id", "env_id"])
        .execute();
      // What an existing install had in its one row: the reconciler settled the release it points
      // at, unless a rollout was under way (then only the serving one is settled). A failure had
      // already pointed the spec back at the serving release; the failed one is in the events.
      await sql`
        insert into deployment_status
          (app_id, env_id, serving_release, phase, message, rollout_started_at, observed_release,
           observed_generation, ready_replicas, total_replicas, updated_at)
        select app_id, env_id, serving_release, phase, message, rollout_started_at,
          case when phase = 'rolling-out' then serving_release else release end,
          case when phase = 'rolling-out' then null else 1 end,
          0, 0, updated_at
        from deployments`.execute(db);
      await sql`
        update deployment_status set
          failed_release = (select e.release from deployment_events e
            where e.app_id = deployment_status.app_id and e.env_id = deployment_status.env_id
              and e.kind = 'failed' order by e.id desc limit 1),
          failure_reason = (select e.message from deployment_events e
            where e.app_id = deployment_status.app_id and e.env_id = deployment_status.env_id
              and e.kind = 'failed' order by e.id desc limit 1),
          failed_at = (select e.at from deployment_events e
            where e.app_id = deployment_status.app_id and e.env_id = deployment_status.env_id
              and e.kind = 'failed' order by e.id desc limit 1)
        where phase = 'failed'`.execute(db);
      await sql`update deployments set requested_at = coalesce(rollout_started_at, updated_at)`.execute(db);
    },
  };
}
