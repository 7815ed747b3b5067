import { openRelease } from "../config/open-release.js";
import { linkAlias } from "../domain/environment.js";
import { appKey, parseAppName } from "../domain/labels.js";
import type { SecretBox } from "../domain/secret-box.js";
import type { Engine, Workload } from "../engines/engine.js";
import type { NamedDeploymentRow } from "../store/deployment-repository.js";
import type { ReleaseRow } from "../store/release-repository.js";
import type { ReplicaStatus } from "../store/replica-status-repository.js";
import type { Store } from "../store/store.js";
import type { HealthProbe } from "./http-health-probe.js";
import type { SyncResult } from "./keyed-work-queue.js";
import { plan } from "./plan.js";
import type { PlanExecutor } from "./plan-executor.js";
import type { DesiredApp, DesiredCanary, DesiredRelease, ObservedContainer } from "./plan-types.js";
import type { SyncHandler } from "./sync-handler.js";

/** One reconcile pass for one app in one environment: read desired, observe, plan, execute. */
export class AppSync implements SyncHandler {
  readonly kind = "app";
  // Releases are immutable, so caching them forever is safe.
  private readonly releases = new Map<string, ReleaseRow | null>();
  /** Opened once per release: decrypting on every pass would be work done again for nothing. */
  private readonly opened = new Map<string, DesiredRelease>();
  /** Time the server was down does not count against a rollout's health deadline. */
  private readonly watchingSince: number;
  /** What was last written as each app's replica status, and when: unchanged status is written at most once a period. */
  private readonly written = new Map<string, { print: string; at: number }>();

  constructor(
    private readonly store: Store,
    private readonly engine: Engine,
    private readonly probe: HealthProbe,
    private readonly executor: PlanExecutor,
    private readonly box: SecretBox,
    private readonly now: () => number = Date.now,
    private readonly health: { periodMs: number; replaceAfterMs: number } = {
      periodMs: 10_000,
      replaceAfterMs: 30_000,
    },
  ) {
    this.watchingSince = now();
  }

  /** Every app the store knows and every app a Berth workload claims to belong to. */
  async keys(): Promise<string[]> {
    const keys = new Set<string>();
    const live = new Set<string>();
    for (const d of await this.store.deployments.listAll()) {
      keys.add(appKey(d));
      live.add(`${d.app_id}/${d.env_id}`);
    }
    // A deleted app's last print would otherwise stay for the server's lifetime.
    for (const key of this.written.keys()) if (!live.has(key)) this.written.delete(key);
    for (const w of await this.engine.listWorkloads({})) keys.add(appKey(w.identity));
    return [...keys];
  }

  async sync(name: string): Promise<SyncResult | undefined> {
    const identity = parseAppName(name);
    if (!identity) return undefined;
    const row = await this.store.deployments.findByNames(identity.tenant, identity.env, identity.app);
    const desired = row ? await this.desired(row) : null;
    const workloads = await this.engine.listWorkloads(identity);
    const previous = row ? await this.store.replicas.list(row.app_id, row.env_id) : [];
    const before = new Map(previous.map((p) => [p.workloadId, p]));
    const observed = await Promise.all(workloads.map((w) => this.observe(w, row, before.get(w.id))));
    if (row) await this.writeStatus(row, workloads, observed, before);
    const actions = plan(desired, observed, this.now());
    const requeueAfterMs = await this.executor.execute(actions, { identity, row, desired });
    return requeueAfterMs === undefined ? undefined : { requeueAfterMs };
  }

  private async desired(row: NamedDeploymentRow): Promise<DesiredApp> {
    const release = row.release === null ? undefined : await this.release(row, row.release);
    return {
      canary: await this.desiredCanary(row),
      identity: { tenant: row.tenant, env: row.env, app: row.app },
      release: release ? this.desiredRelease(release) : null,
      replicas: row.replicas,
      servingRelease: row.serving_release,
      phase: row.phase as DesiredApp["phase"],
      rolloutStartedAt: row.rollout_started_at
        ? Math.max(Date.parse(row.rollout_started_at), this.watchingSince)
        : null,
      healthTimeoutMs: row.health_timeout_s * 1000,
      // Swarm cannot stop one chosen task (a remove scales the service down and Swarm picks which
      // goes), so replacing a sick one there would kill a healthy one instead: local engine only.
      replaceUnhealthyAfterMs: row.cluster_id === null ? this.health.replaceAfterMs : undefined,
      burst: await this.burst(row),
      strategy: release ? (release.resources.strategy ?? "rolling") : "rolling",
      links: (await this.store.links.of(row.app_id, row.env_id))
        .map((l) => {
          const provider = l.to_app_id === row.app_id && l.to_env_id === row.env_id;
          return { link: l.id, aliases: provider ? [linkAlias(l.to_tenant, l.to_env, l.to_app)] : [] };
        })
        .sort((a, b) => a.link - b.link),
    };
  }

  private async burst(row: NamedDeploymentRow): Promise<DesiredApp["burst"]> {
    const b = await this.store.bursts.find(row.app_id, row.env_id);
    return b ? { prefer: b.prefer, overflow: b.overflow, maxOverflow: b.max_overflow } : null;
  }

  private async desiredCanary(row: NamedDeploymentRow): Promise<DesiredCanary | null> {
    const c = await this.store.canaries.findActive(row.app_id, row.env_id);
    const release = c ? await this.release(row, c.release) : undefined;
    if (!c || !release) return null;
    return {
      id: c.id,
      release: this.desiredRelease(release),
      replicas: c.replicas,
      phase: c.phase as DesiredCanary["phase"],
      startedAt: Math.max(Date.parse(c.started_at), this.watchingSince),
      healthTimeoutMs: c.health_timeout_s * 1000,
    };
  }

  private desiredRelease(row: ReleaseRow): DesiredRelease {
    const key = `${row.app_id}/${row.env_id}/${row.number}`;
    const hit = this.opened.get(key);
    if (hit) return hit;
    const opened = openRelease(row, this.box);
    const desired: DesiredRelease = {
      number: row.number,
      imageId: row.image_id,
      port: opened.resources.port,
      healthPath: opened.resources.healthPath,
      healthCheck: opened.resources.healthCheck,
      env: { ...opened.env, ...opened.secretEnv },
      files: [...opened.files, ...opened.secretFiles],
      resources: opened.resources,
    };
    this.opened.set(key, desired);
    return desired;
  }

  private async observe(
    w: Workload,
    row: NamedDeploymentRow | undefined,
    before: ReplicaStatus | undefined,
  ): Promise<ObservedContainer> {
    const release = row ? await this.release(row, w.release) : undefined;
    const probed = w.state === "running" && w.address !== null && release !== undefined;
    // The engine's own verdict (where it has one) can only hold a replica back, never pass it.
    const healthy =
      probed && w.ready !== false
        ? await this.probe(w.address as string, w.publishedPort ?? release.port, healthOf(release))
        : false;
    // Since when a replica that once answered has failed its check, carried over in its status.
    // One that never answered is not counted: it is still starting (its rollout has a deadline).
    const answered =
      before?.healthy === true &&
      before.lastProbeAt !== null &&
      Date.parse(before.lastProbeAt) >= this.watchingSince;
    const failingSince = before?.unhealthySince
      ? Date.parse(before.unhealthySince)
      : answered
        ? this.now()
        : null;
    return {
      unhealthySince: probed && !healthy ? failingSince : null,
      id: w.id,
      release: w.release,
      slot: w.slot,
      state: w.state,
      address: w.address,
      port: release ? (w.publishedPort ?? release.port) : null,
      healthy,
      links: w.links,
      createdAt: w.createdAt,
    };
  }

  /**
   * Status, written by the reconciler only: each replica as this pass saw it, with the verdict
   * of its probe and when it was made. Written when anything changed, else once a period, so a
   * rollout's quick passes do not rewrite it every 50 ms.
   */
  private async writeStatus(
    row: NamedDeploymentRow,
    workloads: readonly Workload[],
    observed: readonly ObservedContainer[],
    before: ReadonlyMap<string, ReplicaStatus>,
  ): Promise<void> {
    const now = this.now();
    const at = new Date(now).toISOString();
    const replicas: ReplicaStatus[] = workloads.map((w, i) => {
      const o = observed[i] as ObservedContainer;
      const was = before.get(w.id);
      const probed = o.state === "running" && o.address !== null && o.port !== null;
      return {
        workloadId: w.id,
        name: w.name,
        release: w.release,
        slot: w.slot,
        state: w.state,
        node: w.node ?? null,
        detail: w.detail ?? null,
        hostPort: w.hostPort,
        address: o.address,
        port: o.port,
        healthy: o.healthy,
        failures: o.healthy ? 0 : probed ? (was?.failures ?? 0) + 1 : (was?.failures ?? 0),
        lastProbeAt: probed ? at : (was?.lastProbeAt ?? null),
        unhealthySince: o.unhealthySince ? new Date(o.unhealthySince).toISOString() : null,
        createdAt: w.createdAt,
        observedAt: at,
      };
    });
    const key = `${row.app_id}/${row.env_id}`;
    const print = JSON.stringify(
      replicas.map((r) => [
        r.workloadId,
        r.state,
        r.healthy,
        r.address,
        r.port,
        r.node,
        r.detail,
        r.hostPort,
      ]),
    );
    const last = this.written.get(key);
    if (
      last &&
      last.print === print &&
      now - last.at < this.health.periodMs &&
      replicas.length === before.size
    )
      return;
    // In one transaction: a reader never sees the app's replicas half replaced, nor counts that
    // disagree with them. Ready counts every replica that answers, of any release, against all
    // the app runs (as `kubectl get deploy` does); the spec's replica count is the goal.
    const ready = replicas.filter((r) => r.healthy && r.state === "running").length;
    await this.store.transaction(async (tx) => {
      await tx.replicas.replace(row.app_id, row.env_id, replicas);
      // Only when they moved: the status's time says when something changed, not when it was looked at.
      if (ready !== row.ready_replicas || replicas.length !== row.total_replicas)
        await tx.deploymentStatus.write(row.app_id, row.env_id, {
          ready_replicas: ready,
          total_replicas: replicas.length,
        });
    });
    this.written.set(key, { print, at: now });
  }

  private async release(row: NamedDeploymentRow, number: number): Promise<ReleaseRow | undefined> {
    const cacheKey = `${row.app_id}/${row.env_id}/${number}`;
    let hit = this.releases.get(cacheKey);
    if (hit === undefined) {
      hit = (await this.store.releases.find(row.app_id, row.env_id, number)) ?? null;
      if (hit) this.releases.set(cacheKey, hit);
    }
    return hit ?? undefined;
  }
}

function healthOf(row: ReleaseRow): { kind: DesiredRelease["healthCheck"]; path: string } {
  return { kind: row.resources.healthCheck, path: row.health_path };
}
