import type { WorkloadIdentity } from "../domain/labels.js";
import type { Engine, ReleaseSpec } from "../engines/engine.js";
import type { NamedDeploymentRow } from "../store/deployment-repository.js";
import type { DeploymentStatusPatch } from "../store/deployment-status-repository.js";
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
        case "apply":
          await this.apply(action.release, action.replicas, action.starting, ctx);
          break;
        case "remove":
          // Never routed (or no longer), so nothing to drain: no grace period.
          await this.engine.removeWorkload?.(action.id);
          await this.event(
            ctx,
            null,
            "container-removed",
            `removed container ${short(action.id)}: ${action.reason}`,
          );
          break;
        case "retire":
          await this.engine.retireRelease(ctx.identity, action.release, 0);
          await this.event(
            ctx,
            action.release,
            "container-removed",
            `removed release ${action.release}: ${action.reason}`,
          );
          break;
        case "route":
          await this.route(action.release, action.endpoints, ctx);
          await flush();
          break;
        case "drain":
          await this.drain(action, ctx);
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
      }
    }
    await flush();
    return requeue;
  }

  /** The release as the engine runs it: its image, config, limits, links and placement. */
  private releaseSpec(release: number, replicas: number, ctx: ExecutionContext): ReleaseSpec | undefined {
    const canary = ctx.desired?.canary?.release;
    const target = ctx.desired?.release?.number === release ? ctx.desired.release : canary;
    if (!target || target.number !== release) return undefined;
    const { tenant, env, app } = ctx.identity;
    const r = target.resources;
    return {
      identity: ctx.identity,
      release,
      replicas,
      image: target.imageId,
      port: target.port,
      // Twelve-factor style: the app learns its config, port and identity from the environment.
      env: {
        ...target.env,
        PORT: String(target.port),
        BERTH_TENANT: tenant,
        BERTH_ENV: env,
        BERTH_APP: app,
        BERTH_RELEASE: String(release),
      },
      files: target.files,
      cpus: r.cpus,
      memoryMb: r.memoryMb,
      restart: r.restart,
      command: r.command,
      volumes: r.volumes,
      privileged: r.privileged,
      hostNetwork: r.hostNetwork,
      hostPid: r.hostPid,
      capAdd: r.capAdd,
      devices: r.devices,
      hostMounts: r.hostMounts,
      links: ctx.desired?.links ?? [],
      placement: r.placement,
      burst: ctx.desired?.burst ?? null,
      strategy: ctx.desired?.strategy ?? "rolling",
    };
  }

  private async apply(
    release: number,
    replicas: number,
    starting: number,
    ctx: ExecutionContext,
  ): Promise<void> {
    const spec = this.releaseSpec(release, replicas, ctx);
    if (!spec) return;
    await this.engine.applyRelease(spec);
    const target =
      ctx.desired?.release?.number === release ? ctx.desired.release : ctx.desired?.canary?.release;
    if (starting > 0 && target)
      await this.event(
        ctx,
        release,
        "container-started",
        `starting ${starting} replica(s) of release ${release}, waiting for ${waitingFor(target)}`,
      );
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
      if (switching) await tx.deploymentStatus.write(row.app_id, row.env_id, { serving_release: release });
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

  private async drain(action: Extract<Action, { type: "drain" }>, ctx: ExecutionContext): Promise<void> {
    await this.event(
      ctx,
      null,
      "draining",
      `draining ${action.ids.length} old container(s) for ${this.options.drainMs} ms`,
    );
    await sleep(this.options.drainMs);
    await Promise.all(
      action.retire.map((r) => this.engine.retireRelease(ctx.identity, r, this.options.stopGraceSeconds)),
    );
    for (const s of action.shrink) {
      const spec = this.releaseSpec(s.release, s.replicas, ctx);
      if (spec) await this.engine.applyRelease(spec);
    }
    await this.event(ctx, null, "container-removed", `stopped ${action.ids.map(short).join(", ")}`);
  }

  private async complete(release: number, ctx: ExecutionContext): Promise<void> {
    const row = ctx.row;
    if (!row) return;
    const replicas = ctx.desired?.replicas ?? 0;
    const message = `release ${release} is serving with ${replicas} replica(s)`;
    const done = `canary release ${release} promoted: it now takes all the traffic`;
    const { applied, ended } = await this.settle(
      release,
      ctx,
      { phase: "serving", message, rollout_started_at: null },
      { phase: "promoted", message: done },
    );
    if (applied) await this.event(ctx, release, "serving", message);
    if (ended) await this.event(ctx, release, "canary-promoted", done);
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
    // Recorded as status: the spec keeps the release the user asked for, and the plan converges on
    // what serves (DeploymentRow.release) until a newer release is asked for.
    const why = `promotion failed: ${reason}; release ${fallback} keeps serving`;
    const { applied, ended } = await this.settle(
      release,
      ctx,
      {
        phase: "failed",
        message,
        rollout_started_at: null,
        failed_release: release,
        failure_reason: reason,
        failed_at: new Date().toISOString(),
      },
      { phase: "failed", message: why },
    );
    await this.event(ctx, release, "failed", applied ? message : `${reason}; superseded by a newer deploy`);
    if (ended) await this.event(ctx, release, "canary-failed", why);
  }

  /**
   * Records a rollout's outcome and, when it was a canary's promotion, ends the canary, in one
   * transaction: a crash between the two would leave the canary promoting for good.
   */
  private async settle(
    release: number,
    ctx: ExecutionContext,
    status: DeploymentStatusPatch,
    promotion: { phase: "promoted" | "failed"; message: string },
  ): Promise<{ applied: boolean; ended: boolean }> {
    const row = ctx.row as NamedDeploymentRow;
    const canary = ctx.desired?.canary;
    const promoted = canary?.phase === "promoting" && canary.release.number === release ? canary : null;
    return this.store.transaction(async (tx) => {
      const applied = await tx.deploymentStatus.writeIfRelease(row.app_id, row.env_id, release, status);
      const ended = applied && promoted !== null && (await tx.canaries.update(promoted.id, promotion));
      return { applied, ended };
    });
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
