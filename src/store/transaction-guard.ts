import { AsyncLocalStorage } from "node:async_hooks";
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs } from "kysely";

export const OUTER_READ_IN_TRANSACTION =
  "read through the outer store while a transaction is open: use the transaction's store (tx) inside store.transaction(...)";

/** One open (or finished) transaction of one outer store, and the ones it was started inside. */
interface OpenTransaction {
  readonly owner: object;
  open: boolean;
  readonly outer: OpenTransaction | undefined;
}

const current = new AsyncLocalStorage<OpenTransaction>();

/**
 * Refuses queries through an outer store from inside one of its own open transactions. On SQLite
 * such a query waits forever for the one connection the transaction holds; on PostgreSQL it would
 * run beside the transaction and miss what it wrote. Either way it is a bug to name at once.
 */
export class TransactionGuard implements KyselyPlugin {
  constructor(private readonly owner: object) {}

  /** Runs `work` marked as inside a transaction of `owner`, until `work` settles. */
  static async within<T>(owner: object, work: () => Promise<T>): Promise<T> {
    const marker: OpenTransaction = { owner, open: true, outer: current.getStore() };
    try {
      return await current.run(marker, work);
    } finally {
      // Timers and queued jobs started inside keep this context; once closed it no longer binds them.
      marker.open = false;
    }
  }

  /** Whether the caller runs inside an open transaction of `owner`. */
  static isOpen(owner: object): boolean {
    for (let t = current.getStore(); t; t = t.outer) if (t.open && t.owner === owner) return true;
    return false;
  }

  transformQuery(args: PluginTransformQueryArgs): PluginTransformQueryArgs["node"] {
    if (TransactionGuard.isOpen(this.owner)) throw new Error(OUTER_READ_IN_TRANSACTION);
    return args.node;
  }

  async transformResult(args: PluginTransformResultArgs): Promise<PluginTransformResultArgs["result"]> {
    return args.result;
  }
}
