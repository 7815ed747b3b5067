import { linkNetworkName, networkName } from "../domain/environment.js";
import { appKey } from "../domain/labels.js";
import type { Engine } from "../engines/engine.js";
import type { Store } from "../store/store.js";
import type { AppSync } from "./app-sync.js";
import type { Enqueuer } from "./enqueuer.js";
import { KeyedWorkQueue } from "./keyed-work-queue.js";
import type { RoutePublisher } from "./route-publisher.js";

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
  private watcher: { close(): void } | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Store,
    private readonly engine: Engine,
    appSync: AppSync,
    private readonly routes: RoutePublisher,
    private readonly options: ReconcilerOptions,
  ) {
    this.queue = new KeyedWorkQueue((key) => appSync.sync(key), {
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

  whenIdle(): Promise<void> {
    return this.queue.whenIdle();
  }

  stop(): void {
    this.watcher?.close();
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    this.queue.stop();
  }

  /** Enqueues every app the store knows and every app a Berth container claims to belong to. */
  async resync(): Promise<void> {
    try {
      const keys = new Set<string>();
      for (const d of await this.store.deployments.listAll()) keys.add(appKey(d));
      for (const w of await this.engine.list({})) keys.add(appKey(w.identity));
      for (const key of keys) this.queue.add(key);
      await this.collectNetworks();
      // A no-op when nginx is live with the current config; restarts it if its master died.
      await this.routes.publish();
    } catch (error) {
      this.options.log.warn({ err: error instanceof Error ? error.message : String(error) }, "resync failed");
    }
  }

  private async collectNetworks(): Promise<void> {
    const wanted = new Set([
      ...(await this.store.environments.listAllNames()).map((e) => networkName(e.tenant, e.env)),
      ...(await this.store.links.ids()).map(linkNetworkName),
    ]);
    for (const name of await this.engine.listNetworks()) {
      if (wanted.has(name)) continue;
      // Still attached containers are being drained; the next resync removes the network.
      await this.engine.removeNetwork(name).catch(() => undefined);
    }
  }
}
