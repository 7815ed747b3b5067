import type { RouteApplier, RouterTable } from "../router/route.js";
import type { Store } from "../store/store.js";
import { buildRouterTable } from "./build-router-table.js";

/**
 * Renders the router from the store, whole. Calls that arrive while an apply runs are folded
 * into one follow-up apply, and each caller's promise settles only after an apply that
 * started after its call, so "routed" always means "live in nginx".
 */
export class RoutePublisher {
  private running: Promise<void> | null = null;
  private next: Promise<void> | null = null;
  /**
   * True until an apply succeeds, and again after one fails: then nginx may lag the store, and
   * a pass that finds the store already up to date must still publish before it drains.
   */
  private stale = true;

  constructor(
    private readonly store: Store,
    private readonly router: RouteApplier,
    private readonly domain: string,
  ) {}

  publish(): Promise<void> {
    if (this.next) return this.next;
    if (!this.running) {
      this.running = this.run().finally(() => {
        this.running = null;
      });
      return this.running;
    }
    this.next = this.running
      .catch(() => undefined)
      .then(() => {
        this.next = null;
        return this.publish();
      });
    return this.next;
  }

  /** The routes as the store has them now, e.g. to start nginx with. */
  currentRoutes(): Promise<RouterTable> {
    return buildRouterTable(this.store, this.domain);
  }

  get isStale(): boolean {
    return this.stale;
  }

  private async run(): Promise<void> {
    try {
      await this.router.apply(await this.currentRoutes());
      this.stale = false;
    } catch (error) {
      this.stale = true;
      throw error;
    }
  }
}
