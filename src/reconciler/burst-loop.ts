import { appKey } from "../domain/labels.js";
import type { Engine } from "../engines/engine.js";
import type { Store } from "../store/store.js";
import type { Enqueuer } from "./enqueuer.js";

/**
 * Visits every app with a burst policy every few seconds and asks its engine for one burst step
 * on the serving release (Swarm has no event for "a task cannot be placed"). A step that changed
 * something is recorded as an event, and the app is reconciled at once, so the router follows.
 */
export class BurstLoop {
  #timer: NodeJS.Timeout | undefined;
  #running = false;

  constructor(
    private readonly store: Store,
    private readonly engine: Pick<Engine, "rebalance">,
    private readonly reconciler: Enqueuer,
    private readonly onError: (err: unknown) => void,
    private readonly everyMs = 2000,
  ) {}

  start(): void {
    this.#timer = setInterval(() => void this.tick(), this.everyMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
  }

  async tick(): Promise<void> {
    if (this.#running || !this.engine.rebalance) return;
    this.#running = true;
    try {
      for (const b of await this.store.bursts.listActive()) {
        const identity = { tenant: b.tenant, env: b.env, app: b.app };
        try {
          const did = await this.engine.rebalance(identity, b.release, {
            prefer: b.prefer,
            overflow: b.overflow,
            maxOverflow: b.max_overflow,
          });
          if (!did) continue;
          await this.store.events.append(b.app_id, b.env_id, b.release, "burst", did);
          this.reconciler.enqueue(appKey(identity));
        } catch (err) {
          this.onError(err);
        }
      }
    } finally {
      this.#running = false;
    }
  }
}
