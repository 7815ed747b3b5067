import { appKey, parseKey } from "../domain/labels.js";
import type { Engine } from "../engines/engine.js";
import type { Store } from "../store/store.js";
import type { Enqueuer } from "./enqueuer.js";
import { KeyedWorkQueue } from "./keyed-work-queue.js";
import type { RoutePublisher } from "./route-publisher.js";
import type { SyncHandler } from "./sync-handler.js";

export interface ReconcilerOptions {
  concurrency: number;
  /** Full resync period: the safety net under the engine's event stream. */
  resyncMs: number;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

/**
 * Level-triggered control loop: engine events and API writes only enqueue a key; a pass
 * re-reads everything it needs. A periodic resync catches whatever an event missed.
 */
export class Reconciler implements Enqueuer {
  private readonly queue: KeyedWorkQueue;
  private readonly handlers: ReadonlyMap<string, SyncHandler>;
  private watcher: { close(): void } | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Store,
    private readonly engine: Engine,
    handlers: readonly SyncHandler[],
    private readonly routes: RoutePublisher,
    private readonly options: ReconcilerOptions,
  ) {
    this.handlers = new Map(handlers.map((h) => [h.kind, h]));
    this.queue = new KeyedWorkQueue((key) => this.dispatch(key), {
      concurrency: options.concurrency,
      baseBackoffMs: 250,
      maxBackoffMs: 30_000,
      onError: (key, error, retryInMs) =>
        options.log.warn(
          { key, retryInMs, err: error instanceof Error ? error.message : String(error) },
          "sync failed",
        ),
    });
  }

  async start(): Promise<void> {
    // Render the router from the store first: after a restart, nginx must match what is recorded.
    await this.routes.publish();
    this.watcher = this.engine.watch(
      (event) => this.enqueue(appKey(event.identity)),
      (error) => {
        this.options.log.warn({ err: error.message }, "engine event stream lost; resyncing");
        void this.resync();
      },
    );
    await this.resync();
    this.resyncTimer = setInterval(() => void this.resync(), this.options.resyncMs);
    this.resyncTimer.unref();
  }

  enqueue(key: string): void {
    this.queue.add(key);
  }

  /** A key goes to its kind's handler; one no handler knows is dropped with a warning, not retried. */
  private dispatch(key: string) {
    const parsed = parseKey(key);
    const handler = parsed && this.handlers.get(parsed.kind);
    if (!parsed || !handler) {
      this.options.log.warn({ key }, "no sync handler for this key; dropped");
      return Promise.resolve(undefined);
    }
    return handler.sync(parsed.name);
  }

  whenIdle(): Promise<void> {
    return this.queue.whenIdle();
  }

  stop(): void {
    this.watcher?.close();
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    this.queue.stop();
  }

  /** Enqueues every key each kind's handler says exists. */
  async resync(): Promise<void> {
    try {
      for (const handler of this.handlers.values())
        for (const key of await handler.keys()) this.queue.add(key);
      await this.collectNetworks();
      // A no-op when nginx is live with the current config; restarts it if its master died.
      await this.routes.publish();
    } catch (error) {
      this.options.log.warn({ err: error instanceof Error ? error.message : String(error) }, "resync failed");
    }
  }

  private async collectNetworks(): Promise<void> {
    const envs = new Set((await this.store.environments.listAllNames()).map((e) => `${e.tenant}/${e.env}`));
    const links = new Set(await this.store.links.ids());
    const held = await this.engine.listNetworks();
    // Still attached replicas are being drained; the next resync removes what is left.
    for (const e of held.environments)
      if (!envs.has(`${e.tenant}/${e.env}`)) await this.engine.removeEnvironment(e).catch(() => undefined);
    for (const l of held.links) if (!links.has(l)) await this.engine.removeLink(l).catch(() => undefined);
  }
}
