import type { Store } from "../store/store.js";
import type { AppInEnv } from "./lookup.js";
import type { NewReleaseFields } from "./release-maker.js";

/**
 * Writes a release and points the deployment at it, in the caller's transaction. Every way a
 * release is born (deploy, config change, rollback, promotion) rolls out the same way.
 */
export async function startRollout(
  tx: Store,
  where: AppInEnv,
  made: { fields: NewReleaseFields; number: number },
  rollout: { replicas: number; healthTimeout: number; what: string },
): Promise<{ release: number; eventCursor: number }> {
  const { app, env } = where;
  const eventCursor = await tx.events.lastId(app.id, env.id);
  const created = await tx.releases.create({ ...made.fields, app_id: app.id, env_id: env.id });
  if (created.number !== made.number)
    throw new Error(`release number moved from ${made.number} to ${created.number} inside one transaction`);
  const existing = await tx.deployments.find(app.id, env.id);
  const spec = {
    release: created.number,
    requested_at: new Date().toISOString(),
    replicas: rollout.replicas,
    health_timeout_s: rollout.healthTimeout,
  };
  if (existing) await tx.deployments.update(app.id, env.id, spec);
  else await tx.deployments.insert(app.id, env.id, spec);
  await tx.events.append(
    app.id,
    env.id,
    created.number,
    "release-created",
    `release ${created.number} created from ${rollout.what} (${made.fields.image_id.slice(7, 19)}): ${made.fields.changes}`,
  );
  return { release: created.number, eventCursor };
}
