import type { Store } from "../store/store.js";
import type { CanaryService } from "./canary-service.js";
import type { TrafficMetrics } from "./ports.js";
import { judgeStep } from "./rollout-gates.js";

/** nginx writes its access log at least once a second; wait that out before judging a step. */
const LOG_LAG_MS = 1_500;

/**
 * Drives staged rollouts: when a step's interval is over, it judges the canary's traffic in
 * that interval against the gates and moves to the next weight, promotes after the last step,
 * or rolls back with the reason. State lives in the store, so a restart picks up where it was.
 */
export class RolloutController {
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly store: Store,
    private readonly canaries: CanaryService,
    private readonly metrics: TrafficMetrics,
    private readonly onError: (error: unknown) => void,
    private readonly now: () => number = Date.now,
  ) {}

  start(intervalMs = 1_000): void {
    this.timer = setInterval(() => void this.tick(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One look at every staged canary; never runs twice at once. */
  async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (const row of await this.store.canaries.listActive()) {
        const plan = row.rollout;
        if (!plan || row.phase !== "running" || row.step_started_at === null) continue;
        const from = Date.parse(row.step_started_at);
        const to = from + plan.intervalSeconds * 1000;
        if (this.now() < to + LOG_LAG_MS) continue;
        const names = { tenant: row.tenant, env: row.env, app: row.app };
        try {
          const window = await this.metrics.stats(
            `${row.tenant}/${row.env}/${row.app}`,
            row.release,
            from,
            to,
          );
          const verdict = judgeStep(plan, window, plan.intervalSeconds);
          if (verdict.pass) await this.canaries.advance(row.id, names, verdict.summary);
          else
            await this.canaries.failGate(
              row.id,
              names,
              `step ${row.step_index + 1}/${plan.steps.length} at ${plan.steps[row.step_index]}%: ${verdict.reason}`,
            );
        } catch (error) {
          this.onError(error);
        }
      }
    } catch (error) {
      this.onError(error);
    } finally {
      this.running = false;
    }
  }
}
