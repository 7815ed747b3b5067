import { openRelease, resourcesOfRow } from "../config/open-release.js";
import { linkAlias, linkNetworkName } from "../domain/environment.js";
import { parseAppKey } from "../domain/labels.js";
import type { SecretBox } from "../domain/secret-box.js";
import type { Engine, Workload } from "../engines/engine.js";
import type { NamedDeploymentRow } from "../store/deployment-repository.js";
import type { ReleaseRow } from "../store/release-repository.js";
import type { Store } from "../store/store.js";
import type { HealthProbe } from "./http-health-probe.js";
import type { SyncResult } from "./keyed-work-queue.js";
import { plan } from "./plan.js";
import type { PlanExecutor } from "./plan-executor.js";
import type { DesiredApp, DesiredCanary, DesiredRelease, ObservedContainer } from "./plan-types.js";

/** One reconcile pass for one app in one environment: read desired, observe, plan, execute. */
export class AppSync {
  // Releases are immutable, so caching them forever is safe.
  private readonly releases = new Map<string, ReleaseRow | null>();
  /** Opened once per release: decrypting on every pass would be work done again for nothing. */
  private readonly opened = new Map<string, DesiredRelease>();
  /** Time the server was down does not count against a rollout's health deadline. */
  private readonly watchingSince: number;

  constructor(
    private readonly store: Store,
    private readonly engine: Engine,
    private readonly probe: HealthProbe,
    private readonly executor: PlanExecutor,
    private readonly box: SecretBox,
    private readonly now: () => number = Date.now,
  ) {
    this.watchingSince = now();
  }

  async sync(key: string): Promise<SyncResult | undefined> {
    const identity = parseAppKey(key);
    if (!identity) return undefined;
    const row = await this.store.deployments.findByNames(identity.tenant, identity.env, identity.app);
    const desired = row ? await this.desired(row) : null;
    const workloads = await this.engine.list(identity);
    const observed = await Promise.all(workloads.map((w) => this.observe(w, row)));
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
      burst: await this.burst(row),
      links: (await this.store.links.of(row.app_id, row.env_id)).map((l) => {
        const provider = l.to_app_id === row.app_id && l.to_env_id === row.env_id;
        return {
          network: linkNetworkName(l.id),
          aliases: provider ? [linkAlias(l.to_tenant, l.to_env, l.to_app)] : [],
        };
      }),
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

  private async observe(w: Workload, row: NamedDeploymentRow | undefined): Promise<ObservedContainer> {
    const release = row ? await this.release(row, w.release) : undefined;
    const healthy =
      w.state === "running" && w.address !== null && release !== undefined
        ? await this.probe(w.address, w.publishedPort ?? release.port, healthOf(release))
        : false;
    return {
      id: w.id,
      release: w.release,
      slot: w.slot,
      state: w.state,
      address: w.address,
      port: release ? (w.publishedPort ?? release.port) : null,
      healthy,
      networks: w.networks,
      createdAt: w.createdAt,
    };
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
  return { kind: resourcesOfRow(row).healthCheck, path: row.health_path };
}
