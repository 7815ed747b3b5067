import type { Deployment, DeployRequest } from "../domain/deployment.js";
import type { DeploymentEvent, DeploymentEventKind } from "../domain/deployment-event.js";
import { DomainError } from "../domain/domain-error.js";
import { appKey } from "../domain/labels.js";
import type { Release } from "../domain/release.js";
import type { Enqueuer } from "../reconciler/enqueuer.js";
import type { ReleaseRow } from "../store/release-repository.js";
import type { Store } from "../store/store.js";
import { currentRelease } from "./current-release.js";
import { type AppInEnv, findAppInEnv } from "./lookup.js";
import type { ImageLookup, RoutingSettings } from "./ports.js";
import type { ReleaseMaker } from "./release-maker.js";
import { startRollout } from "./start-rollout.js";
import { imageForTenant } from "./tenant-image.js";
import { toDeployment } from "./to-deployment.js";
import { type ChangeValue, NO_AUDIT, WritePath } from "./write-path.js";

export interface DeployOutcome {
  release: number;
  eventCursor: number;
  deployment: Deployment;
}

/** Deploy, redeploy, promote, rollback and scale: each writes desired state in one transaction, then enqueues. */
export class DeployService {
  constructor(
    private readonly store: Store,
    private readonly images: ImageLookup,
    private readonly reconciler: Enqueuer,
    private readonly routing: RoutingSettings,
    private readonly releases: ReleaseMaker,
    private readonly writes: WritePath = new WritePath(store, NO_AUDIT),
  ) {}

  async deploy(tenant: string, env: string, app: string, req: DeployRequest): Promise<DeployOutcome> {
    const where = await findAppInEnv(this.store, tenant, env, app);
    await refuseDuringCanary(this.store, where);
    const image = await imageForTenant(this.images, req.image, tenant);
    if (!image)
      throw new DomainError(
        "invalid",
        `image '${req.image}' is not on this host; build it with 'berth deploy ${app} --path DIR' or load it with 'docker load'`,
        "image",
      );
    // Deploy flags are settings of this app in this environment: later deploys keep them.
    const flags = {
      port: req.port,
      healthPath: req.healthPath,
      healthTimeout: req.healthTimeout,
      replicas: req.replicas,
    };
    const change = {
      deploy: req.image,
      port: req.port,
      replicas: req.replicas,
      healthPath: req.healthPath,
      config: Object.keys(req.config ?? {}),
    };
    return this.commit(where, change, async (tx) => {
      const scope = { tenantId: where.tenant.id, appId: where.app.id, envId: where.env.id };
      for (const [name, value] of Object.entries(flags))
        if (value !== undefined) await tx.config.putSetting(scope, name, value);
      const made = await this.releases.make(tx, where, {
        image: req.image,
        imageId: image.id,
        exposedPorts: image.exposedPorts,
        // Images built by Berth carry this tag; anything else came from the user.
        source: req.image.startsWith(`berth/${tenant}/${app}:build-`) ? "build" : "image",
        releaseValues: req.config,
      });
      return startRollout(tx, where, made, {
        replicas: made.snapshot.replicas,
        healthTimeout: made.snapshot.resources.healthTimeout,
        what: req.image,
      });
    });
  }

  /** A new release of the current image with the config as the layers say now. */
  async redeploy(tenant: string, env: string, app: string): Promise<DeployOutcome> {
    const where = await findAppInEnv(this.store, tenant, env, app);
    await refuseDuringCanary(this.store, where);
    const current = await currentRelease(this.store, where);
    if (!current) throw new DomainError("conflict", `${app} has no release in ${env} yet; deploy it first`);
    const image = await this.images.inspectImage(current.image_id);
    return this.commit(where, { redeploy: current.image }, async (tx) => {
      const made = await this.releases.make(tx, where, {
        image: current.image,
        imageId: current.image_id,
        exposedPorts: image?.exposedPorts ?? [],
        source: "config",
        releaseValues: current.release_values,
      });
      return startRollout(tx, where, made, {
        replicas: made.snapshot.replicas,
        healthTimeout: made.snapshot.resources.healthTimeout,
        what: `${current.image} with the current config`,
      });
    });
  }

  /** The image serving in one environment, by digest, with the next environment's own config. */
  async promote(tenant: string, app: string, fromEnv: string, toEnv: string): Promise<DeployOutcome> {
    if (fromEnv === toEnv) throw new DomainError("invalid", "promote needs two different environments", "to");
    const source = await findAppInEnv(this.store, tenant, fromEnv, app);
    const where = await findAppInEnv(this.store, tenant, toEnv, app);
    const deployment = await this.store.deployments.find(source.app.id, source.env.id);
    const serving = deployment?.serving_release ?? null;
    if (serving === null)
      throw new DomainError(
        "conflict",
        `${app} is not serving in ${fromEnv}, so there is nothing to promote`,
        "from",
      );
    const row = await this.store.releases.find(source.app.id, source.env.id, serving);
    if (!row) throw new DomainError("conflict", `release ${serving} of ${app} in ${fromEnv} is gone`, "from");
    await refuseDuringCanary(this.store, where);
    const image = await this.images.inspectImage(row.image_id);
    if (!image)
      throw new DomainError(
        "conflict",
        `image ${row.image_id.slice(0, 19)} of ${app} release ${serving} in ${fromEnv} is no longer on this host`,
        "from",
      );
    return this.commit(where, { promote: `${fromEnv}#${serving}`, image: row.image }, async (tx) => {
      const made = await this.releases.make(tx, where, {
        image: row.image,
        imageId: row.image_id,
        exposedPorts: image.exposedPorts,
        source: "promotion",
        promotedFrom: `${fromEnv}#${serving}`,
      });
      return startRollout(tx, where, made, {
        replicas: made.snapshot.replicas,
        healthTimeout: made.snapshot.resources.healthTimeout,
        what: `${fromEnv} release ${serving}`,
      });
    });
  }

  async rollback(tenant: string, env: string, app: string, to?: number): Promise<DeployOutcome> {
    const where = await findAppInEnv(this.store, tenant, env, app);
    await refuseDuringCanary(this.store, where);
    const current = await this.store.deployments.find(where.app.id, where.env.id);
    const releases = await this.store.releases.list(where.app.id, where.env.id);
    const reference = current?.serving_release ?? current?.release ?? null;
    // By default only a release that once served (passed its health check) is a safe target.
    const served = new Set(await this.store.events.releasesWith(where.app.id, where.env.id, "switched"));
    const target =
      to === undefined
        ? releases.find((r) => reference !== null && r.number < reference && served.has(r.number))
        : releases.find((r) => r.number === to);
    if (!target)
      throw new DomainError(
        to === undefined ? "conflict" : "not_found",
        to === undefined
          ? `${app} has no release before ${reference ?? "the current one"} in ${env} that ever served; pick one with --to N`
          : `${app} has no release ${to} in ${env}; see 'berth releases ${app} --env ${env}'`,
        to === undefined ? undefined : "to",
      );
    return this.commit(where, { rollbackTo: target.number }, async (tx) => {
      const made = await this.releases.copy(tx, where, target);
      return startRollout(tx, where, made, {
        replicas: current?.replicas ?? 1,
        healthTimeout: target.resources.healthTimeout,
        what: `rollback to release ${target.number}`,
      });
    });
  }

  async scale(tenant: string, env: string, app: string, replicas: number): Promise<Deployment> {
    const where = await findAppInEnv(this.store, tenant, env, app);
    // More containers of a release that relies on a revoked exception would run it again: the
    // write path's isolation checkpoint sees the replicas grow.
    const op = { tenant, object: { kind: "app", name: app }, env, change: { replicas } } as const;
    await this.writes.run(op, async (tx) => {
      const row = await tx.deployments.find(where.app.id, where.env.id);
      if (!row) throw new DomainError("conflict", `${app} is not deployed in ${env}; deploy it first`);
      // Scale is the replicas setting of this app in this environment, so later releases keep it.
      await tx.config.putSetting(
        { tenantId: where.tenant.id, appId: where.app.id, envId: where.env.id },
        "replicas",
        replicas,
      );
      await tx.deployments.update(where.app.id, where.env.id, { replicas });
      await tx.events.append(
        where.app.id,
        where.env.id,
        row.release,
        "scaled",
        `scaled to ${replicas} replica(s)`,
      );
    });
    this.reconciler.enqueue(appKey({ tenant, env, app }));
    return this.status(tenant, env, app);
  }

  async status(tenant: string, env: string, app: string): Promise<Deployment> {
    const where = await findAppInEnv(this.store, tenant, env, app);
    const row = await this.store.deployments.find(where.app.id, where.env.id);
    if (!row) throw new DomainError("not_found", `${app} is not deployed in ${env}`);
    return toDeployment({ tenant, env, app }, row, this.routing);
  }

  async releasesOf(tenant: string, env: string, app: string): Promise<Release[]> {
    const where = await findAppInEnv(this.store, tenant, env, app);
    return (await this.store.releases.list(where.app.id, where.env.id)).map((r) => {
      const open = this.releases.openRelease(r);
      const release = toRelease(r);
      return {
        ...release,
        secretKeys: Object.keys(open.secretEnv).sort(),
        files: [...release.files, ...open.secretFiles.map((f) => f.path)].sort(),
      };
    });
  }

  async events(
    tenant: string,
    env: string,
    app: string,
    after: number,
    limit: number,
  ): Promise<DeploymentEvent[]> {
    const where = await findAppInEnv(this.store, tenant, env, app);
    const rows = await this.store.events.list(where.app.id, where.env.id, after, limit);
    return rows.map((r) => ({
      id: r.id,
      at: r.at,
      release: r.release,
      kind: r.kind as DeploymentEventKind,
      message: r.message,
    }));
  }

  private async commit(
    where: AppInEnv,
    change: Record<string, ChangeValue>,
    work: (tx: Store) => Promise<{ release: number; eventCursor: number }>,
  ): Promise<DeployOutcome> {
    const op = {
      tenant: where.tenant.name,
      object: { kind: "app", name: where.app.name },
      env: where.env.name,
      change,
    } as const;
    const outcome = await this.writes.run(op, work);
    const id = { tenant: where.tenant.name, env: where.env.name, app: where.app.name };
    this.reconciler.enqueue(appKey(id));
    return { ...outcome, deployment: await this.status(id.tenant, id.env, id.app) };
  }
}

/** A deploy or rollback would pull the stable release from under a canary's comparison. */
export async function refuseDuringCanary(store: Store, where: AppInEnv): Promise<void> {
  const canary = await store.canaries.findActive(where.app.id, where.env.id);
  if (canary)
    throw new DomainError(
      "conflict",
      `canary release ${canary.release} of ${where.app.name} is ${canary.phase} in ${where.env.name}; promote or abort it first ('berth canary promote|abort ${where.app.name} --env ${where.env.name}')`,
    );
}

export const toRelease = (r: ReleaseRow): Release => {
  const config = Object.keys(r.config).filter((k) => !k.startsWith("BERTH_"));
  return {
    number: r.number,
    image: r.image,
    imageId: r.image_id,
    port: r.port,
    healthPath: r.health_path,
    source: r.source as Release["source"],
    rolledBackFrom: r.rolled_back_from,
    promotedFrom: r.promoted_from,
    resources: r.resources,
    configKeys: config.sort(),
    // Sealed: their names are in the sealed part, filled in by the caller that holds the key.
    secretKeys: [],
    files: r.files.map((f) => f.path),
    changes: r.changes,
    createdAt: r.created_at,
  };
};
