import type { Deployment, DeployRequest } from "../domain/deployment.js";
import type { DeploymentEvent, DeploymentEventKind } from "../domain/deployment-event.js";
import { DomainError } from "../domain/domain-error.js";
import { appKey } from "../domain/labels.js";
import type { Release } from "../domain/release.js";
import type { Enqueuer } from "../reconciler/enqueuer.js";
import type { ReleaseRow } from "../store/release-repository.js";
import type { Store } from "../store/store.js";
import { type AppInEnv, findAppInEnv } from "./lookup.js";
import type { ImageLookup, RoutingSettings } from "./ports.js";
import { type NewRelease, releaseFromImage } from "./release-from-image.js";
import { toDeployment } from "./to-deployment.js";

const DEFAULT_HEALTH_TIMEOUT_S = 60;

export interface DeployOutcome {
  release: number;
  eventCursor: number;
  deployment: Deployment;
}

/** Deploy, rollback and scale: each writes desired state in one transaction, then enqueues. */
export class DeployService {
  constructor(
    private readonly store: Store,
    private readonly images: ImageLookup,
    private readonly reconciler: Enqueuer,
    private readonly routing: RoutingSettings,
  ) {}

  async deploy(tenant: string, env: string, app: string, req: DeployRequest): Promise<DeployOutcome> {
    const where = await findAppInEnv(this.store, tenant, env, app);
    await this.refuseDuringCanary(where);
    const previous = await this.currentRelease(where);
    const release = await releaseFromImage(this.images, { tenant, app }, req, previous);
    return this.roll(where, req, release);
  }

  async rollback(tenant: string, env: string, app: string, to?: number): Promise<DeployOutcome> {
    const where = await findAppInEnv(this.store, tenant, env, app);
    await this.refuseDuringCanary(where);
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
    return this.roll(
      where,
      {},
      {
        image: target.image,
        image_id: target.image_id,
        port: target.port,
        health_path: target.health_path,
        source: "rollback",
        rolled_back_from: target.number,
      },
    );
  }

  async scale(tenant: string, env: string, app: string, replicas: number): Promise<Deployment> {
    const where = await findAppInEnv(this.store, tenant, env, app);
    await this.store.transaction(async (tx) => {
      const row = await tx.deployments.find(where.app.id, where.env.id);
      if (!row) throw new DomainError("conflict", `${app} is not deployed in ${env}; deploy it first`);
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

  async releases(tenant: string, env: string, app: string): Promise<Release[]> {
    const where = await findAppInEnv(this.store, tenant, env, app);
    return (await this.store.releases.list(where.app.id, where.env.id)).map(toRelease);
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

  /** A deploy or rollback would pull the stable release from under a canary's comparison. */
  private async refuseDuringCanary(where: AppInEnv): Promise<void> {
    const canary = await this.store.canaries.findActive(where.app.id, where.env.id);
    if (canary)
      throw new DomainError(
        "conflict",
        `canary release ${canary.release} of ${where.app.name} is ${canary.phase} in ${where.env.name}; promote or abort it first ('berth canary promote|abort ${where.app.name} --env ${where.env.name}')`,
      );
  }

  private async currentRelease(where: AppInEnv): Promise<ReleaseRow | undefined> {
    const row = await this.store.deployments.find(where.app.id, where.env.id);
    const number = row?.release ?? row?.serving_release;
    return number ? this.store.releases.find(where.app.id, where.env.id, number) : undefined;
  }

  private async roll(
    where: AppInEnv,
    req: Pick<DeployRequest, "replicas" | "healthTimeout">,
    release: NewRelease,
  ): Promise<DeployOutcome> {
    const { app, env } = where;
    const outcome = await this.store.transaction(async (tx) => {
      const eventCursor = await tx.events.lastId(app.id, env.id);
      const created = await tx.releases.create({ ...release, app_id: app.id, env_id: env.id });
      const existing = await tx.deployments.find(app.id, env.id);
      const spec = {
        release: created.number,
        phase: "rolling-out",
        message: `rolling out release ${created.number}`,
        rollout_started_at: new Date().toISOString(),
        replicas: req.replicas ?? existing?.replicas ?? 1,
        health_timeout_s: req.healthTimeout ?? existing?.health_timeout_s ?? DEFAULT_HEALTH_TIMEOUT_S,
      };
      if (existing) await tx.deployments.update(app.id, env.id, spec);
      else await tx.deployments.insert(app.id, env.id, { ...spec, serving_release: null });
      const what = release.rolled_back_from
        ? `rollback to release ${release.rolled_back_from}`
        : release.image;
      await tx.events.append(
        app.id,
        env.id,
        created.number,
        "release-created",
        `release ${created.number} created from ${what} (${release.image_id.slice(7, 19)})`,
      );
      return { release: created.number, eventCursor };
    });
    const id = { tenant: where.tenant.name, env: env.name, app: app.name };
    this.reconciler.enqueue(appKey(id));
    return { ...outcome, deployment: await this.status(id.tenant, id.env, id.app) };
  }
}

const toRelease = (r: ReleaseRow): Release => ({
  number: r.number,
  image: r.image,
  imageId: r.image_id,
  port: r.port,
  healthPath: r.health_path,
  source: r.source as Release["source"],
  rolledBackFrom: r.rolled_back_from,
  createdAt: r.created_at,
});
