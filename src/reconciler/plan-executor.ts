import { DomainError } from "../domain/domain-error.js";
import { networkName } from "../domain/environment.js";
import { LABEL, type WorkloadIdentity } from "../domain/labels.js";
import type { Engine } from "../engines/engine.js";
import type { NamedDeploymentRow } from "../store/deployment-repository.js";
import type { Store } from "../store/store.js";
import type { Action, DesiredApp, RoutedEndpoint } from "./plan-types.js";
import type { RoutePublisher } from "./route-publisher.js";
import { sleep } from "./sleep.js";

export interface ExecutorOptions {
  /** How long retired containers keep running after the router stopped sending them new requests. */
  drainMs: number;
  /** SIGTERM-to-SIGKILL grace when stopping a container. */
  stopGraceSeconds: number;
}

export interface ExecutionContext {
  identity: WorkloadIdentity;
  row: NamedDeploymentRow | undefined;
  desired: DesiredApp | null;
}

/** Carries out a plan's actions in order, through the engine, the store and the router. */
export class PlanExecutor {
  private readonly networks = new Set<string>();

  constructor(
    private readonly store: Store,
    private readonly engine: Engine,
    private readonly routes: RoutePublisher,
    private readonly options: ExecutorOptions,
  ) {}

  /** Returns the requeue delay the plan asked for, if any. */
  async execute(actions: Action[], ctx: ExecutionContext): Promise<number | undefined> {
    let requeue: number | undefined;
    // Said only once the router serves it, so a client that reads the event finds it live.
    const afterRoute: (() => Promise<void>)[] = [];
    const flush = async () => {
      for (const announce of afterRoute.splice(0)) await announce();
    };
    for (const action of actions) {
      switch (action.type) {
        case "start":
          await this.start(action.release, action.slot, ctx);
          break;
        case "remove":
          // Never routed (or no longer running), so nothing to drain: no grace period.
          await this.engine.remove(action.id, 0);
          await this.event(
            ctx,
            null,
            "container-removed",
            `removed container ${short(action.id)}: ${action.reason}`,
          );
          break;
        case "route":
          await this.route(action.release, action.endpoints, ctx);
          await flush();
          break;
        case "drain":
          await this.drain(action.ids, ctx);
          break;
        case "complete":
          await this.complete(action.release, ctx);
          break;
        case "fail":
          await this.fail(action.release, action.reason, ctx);
          break;
        case "requeue":
          requeue = Math.min(requeue ?? action.afterMs, action.afterMs);
          break;
        case "canary-ready":
          await this.canaryReady(action.canaryId, action.release, ctx, afterRoute);
          break;
        case "canary-fail":
          await this.canaryFail(action.canaryId, action.release, action.reason, ctx);
          break;
        case "connect":
          await this.ensureNetwork(action.network, {});
          await this.engine.connect(action.id, { network: action.network, aliases: action.aliases });
          break;
        case "disconnect":
          await this.engine.disconnect(action.id, action.network);
          break;
      }
    }
    await flush();
    return requeue;
  }

  private async start(release: number, slot: number, ctx: ExecutionContext): Promise<void> {
    const canary = ctx.desired?.canary?.release;
    const target = ctx.desired?.release?.number === release ? ctx.desired.release : canary;
    if (!target || target.number !== release) return;
    const { tenant, env } = ctx.identity;
    const network = networkName(tenant, env);
    const links = ctx.desired?.links ?? [];
    await this.ensureNetwork(network, { [LABEL.tenant]: tenant, [LABEL.env]: env });
    for (const l of links) await this.ensureNetwork(l.network, {});
    try {
      const w = await this.engine.start({
        identity: ctx.identity,
        release,
        slot,
        image: target.imageId,
        port: target.port,
        network,
        // Twelve-factor style: the app learns its config, port and identity from the environment.
        env: {
          ...target.env,
          PORT: String(target.port),
          BERTH_TENANT: tenant,
          BERTH_ENV: env,
          BERTH_APP: ctx.identity.app,
          BERTH_RELEASE: String(release),
        },
        files: target.files,
        cpus: target.resources.cpus,
        memoryMb: target.resources.memoryMb,
        restart: target.resources.restart,
        command: target.resources.command,
        volumes: target.resources.volumes,
        privileged: target.resources.privileged,
        hostNetwork: target.resources.hostNetwork,
        hostPid: target.resources.hostPid,
        capAdd: target.resources.capAdd,
        devices: target.resources.devices,
        hostMounts: target.resources.hostMounts,
        links,
        placement: target.resources.placement,
        burst: ctx.desired?.burst ?? null,
        replicas:
          target.number === ctx.desired?.release?.number
            ? ctx.desired.replicas
            : ctx.desired?.canary?.replicas,
      });
      await this.event(
        ctx,
        release,
        "container-started",
        `started replica ${slot} of release ${release} (${short(w.id)}), waiting for ${waitingFor(target)}`,
      );
    } catch (error) {
      // The slot is already taken (a container still being removed, or a cluster service already
      // sized for it): the rest of the plan still runs, and the plan's requeue looks again.
      if (error instanceof DomainError && error.code === "conflict") return;
      // A network may have been collected meanwhile; ensure them again on the retry.
      this.networks.delete(network);
      for (const l of links) this.networks.delete(l.network);
      throw error;
    }
  }

  private async ensureNetwork(name: string, labels: Record<string, string>): Promise<void> {
    if (this.networks.has(name)) return;
    await this.engine.ensureNetwork(name, labels);
    this.networks.add(name);
  }

  private async route(
    release: number | null,
    endpoints: RoutedEndpoint[],
    ctx: ExecutionContext,
  ): Promise<void> {
    const row = ctx.row;
    if (!row) return this.routes.publish();
    const current = await this.store.endpoints.list(row.app_id, row.env_id);
    const same =
      current.length === endpoints.length &&
      endpoints.every((e) =>
        current.some((c) => c.container_id === e.containerId && c.address === e.address && c.port === e.port),
      );
    const switching = release !== row.serving_release;
    if (same && !switching) {
      // The store is current, but nginx may not be (a publish failed): never drain on that.
      if (this.routes.isStale) await this.routes.publish();
      return;
    }
    await this.store.transaction(async (tx) => {
      await tx.endpoints.replace(
        row.app_id,
        row.env_id,
        endpoints.map((e) => ({
          container_id: e.containerId,
          address: e.address,
          port: e.port,
          release: e.release,
        })),
      );
      if (switching) await tx.deployments.update(row.app_id, row.env_id, { serving_release: release });
    });
    await this.routes.publish();
    if (switching && release !== null) {
      row.serving_release = release;
      await this.event(
        ctx,
        release,
        "switched",
        `router switched to release ${release} (${endpoints.length} healthy)`,
      );
    }
  }

  private async drain(ids: string[], ctx: ExecutionContext): Promise<void> {
    await this.event(
      ctx,
      null,
      "draining",
      `draining ${ids.length} old container(s) for ${this.options.drainMs} ms`,
    );
    await sleep(this.options.drainMs);
    await Promise.all(ids.map((id) => this.engine.remove(id, this.options.stopGraceSeconds)));
    await this.event(ctx, null, "container-removed", `stopped ${ids.map(short).join(", ")}`);
  }

  private async complete(release: number, ctx: ExecutionContext): Promise<void> {
    const row = ctx.row;
    if (!row) return;
    const replicas = ctx.desired?.replicas ?? 0;
    const message = `release ${release} is serving with ${replicas} replica(s)`;
    const applied = await this.store.deployments.updateIfRelease(row.app_id, row.env_id, release, {
      phase: "serving",
      message,
      rollout_started_at: null,
    });
    if (applied) await this.event(ctx, release, "serving", message);
    const canary = ctx.desired?.canary;
    if (applied && canary?.phase === "promoting" && canary.release.number === release) {
      const done = `canary release ${release} promoted: it now takes all the traffic`;
      if (await this.store.canaries.update(canary.id, { phase: "promoted", message: done }))
        await this.event(ctx, release, "canary-promoted", done);
    }
  }

  private async canaryReady(
    id: number,
    release: number,
    ctx: ExecutionContext,
    afterRoute: (() => Promise<void>)[],
  ): Promise<void> {
    const message = `canary release ${release} is healthy and receives the traffic its rules pick`;
    const marked = await this.store.canaries.update(
      id,
      { phase: "running", message, step_started_at: new Date().toISOString() },
      ["starting"],
    );
    if (marked) afterRoute.push(() => this.event(ctx, release, "canary-routed", message));
  }

  private async canaryFail(
    id: number,
    release: number,
    reason: string,
    ctx: ExecutionContext,
  ): Promise<void> {
    const logs = `see 'berth logs ${ctx.identity.app} --env ${ctx.identity.env}'`;
    const message = `${reason}; it never got traffic; ${logs}`;
    if (await this.store.canaries.update(id, { phase: "failed", message }))
      await this.event(ctx, release, "canary-failed", message);
  }

  private async fail(release: number, reason: string, ctx: ExecutionContext): Promise<void> {
    const row = ctx.row;
    if (!row) return;
    const fallback = row.serving_release;
    const logs = `see 'berth logs ${ctx.identity.app} --env ${ctx.identity.env}'`;
    const message =
      fallback === null
        ? `${reason}; nothing was switched; ${logs}`
        : `${reason}; release ${fallback} keeps serving; ${logs}`;
    // Revert the desired release so later passes converge on what serves, not on the failure;
    // unless a newer deploy replaced it meanwhile, which then takes over.
    const applied = await this.store.deployments.updateIfRelease(row.app_id, row.env_id, release, {
      release: fallback,
      phase: "failed",
      message,
      rollout_started_at: null,
    });
    await this.event(ctx, release, "failed", applied ? message : `${reason}; superseded by a newer deploy`);
    const canary = ctx.desired?.canary;
    if (applied && canary?.phase === "promoting" && canary.release.number === release) {
      const why = `promotion failed: ${reason}; release ${fallback} keeps serving`;
      if (await this.store.canaries.update(canary.id, { phase: "failed", message: why }))
        await this.event(ctx, release, "canary-failed", why);
    }
  }

  private async event(ctx: ExecutionContext, release: number | null, kind: string, message: string) {
    if (ctx.row) await this.store.events.append(ctx.row.app_id, ctx.row.env_id, release, kind, message);
  }
}

const short = (id: string) => id.slice(0, 12);

function waitingFor(r: { healthCheck: string; healthPath: string; port: number }): string {
  if (r.healthCheck === "http") return r.healthPath;
  return r.healthCheck === "tcp" ? `port ${r.port} to accept` : "it to run";
}
