import type { SyncResult } from "./keyed-work-queue.js";

/**
 * One kind of object the reconciler converges (apps now; instances, builds and jobs later). All
 * kinds share one queue, its backoff and the resync; a key `KIND/NAME` goes to KIND's handler.
 */
export interface SyncHandler {
  readonly kind: string;
  /** One level-triggered pass for the object `name` (the key without its `KIND/`). */
  sync(name: string): Promise<SyncResult | undefined>;
  /** Every key of this kind a resync should look at. */
  keys(): Promise<string[]>;
}
