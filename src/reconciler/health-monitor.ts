import { appKey } from "../domain/labels.js";
import type { ProbeTarget } from "../store/replica-status-repository.js";
import type { Store } from "../store/store.js";
import type { Enqueuer } from "./enqueuer.js";
import type { HealthProbe } from "./http-health-probe.js";

export interface HealthMonitorOptions {
  /** How often every running replica is probed (default 10 s). */
  periodMs: number;
  /** Failed probes in a row after which a replica leaves the router (its app is reconciled at once). */
  failuresToLeave: number;
  /** Probes in flight at once. */
  concurrency: number;
}

/**
 * Continuous health: between passes, every running replica the status knows is probed on a
 * period and the verdict written to its status. A replica that fails twice in a row, or answers
 * again, gets its app reconciled at once, so it leaves (or rejoins) the router without waiting for
 * the next resync; one that stays unhealthy is replaced by the plan. Reads and writes only status.
 */
export class HealthMonitor {
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  /** Verdicts older than this process were made before a restart: they say nothing of now. */
  private readonly since: number;

  constructor(
    private readonly store: Store,
    private readonly probe: HealthProbe,
    private readonly reconciler: Enqueuer,
    private readonly options: HealthMonitorOptions,
    private readonly onError: (error: unknown) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.since = now();
  }

  start(): void {
    this.#timer = setInterval(() => void this.tick(), this.options.periodMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
  }

  /** One round over every running replica; a round still going when the next is due is not doubled. */
  async tick(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      const targets = await this.store.replicas.probeTargets();
      const queue = [...targets];
      const worker = async () => {
        for (let t = queue.shift(); t; t = queue.shift()) await this.check(t).catch(this.onError);
      };
      await Promise.all(Array.from({ length: Math.min(this.options.concurrency, queue.length) }, worker));
    } catch (error) {
      this.onError(error);
    } finally {
      this.#running = false;
    }
  }

  private async check(t: ProbeTarget): Promise<void> {
    const healthy = await this.probe(t.address as string, t.port as number, {
      kind: t.healthCheck,
      path: t.healthPath,
    });
    const failures = healthy ? 0 : t.failures + 1;
    const at = new Date(this.now()).toISOString();
    // "Unhealthy since" counts only for a replica that answered this server: one still starting
    // (or restarted since a verdict an earlier server made) is its rollout's business.
    const answered = t.healthy && t.lastProbeAt !== null && Date.parse(t.lastProbeAt) >= this.since;
    const unhealthySince = healthy ? null : (t.unhealthySince ?? (answered ? at : null));
    await this.store.replicas.recordProbe(t.appId, t.envId, t.workloadId, {
      healthy,
      failures,
      at,
      unhealthySince,
    });
    const identity = { tenant: t.tenant, env: t.env, app: t.app };
    const leaves =
      !healthy && failures >= this.options.failuresToLeave && t.failures < this.options.failuresToLeave;
    const returns = healthy && !t.healthy;
    // While it stays unhealthy its app is looked at every period, so the plan can replace it in time.
    const stillSick = !healthy && failures >= this.options.failuresToLeave && unhealthySince !== null;
    if (leaves || returns || stillSick) this.reconciler.enqueue(appKey(identity));
  }
}
