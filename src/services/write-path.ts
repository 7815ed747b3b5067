import type { AuditObject } from "../domain/audit.js";
import type { Store } from "../store/store.js";
import { isolationCheckpoint } from "./isolation-checkpoint.js";
import type { AuditNotes } from "./ports.js";
import { quotaCheckpoint } from "./quota-guard.js";

/** A summary field: secrets never go in here, only names and plain settings. */
export type ChangeValue = string | number | boolean | null | undefined | readonly (string | number)[];

export interface WriteOp {
  /** The tenant whose quotas and isolation the write can change; absent for platform objects. */
  tenant?: string;
  /** What the call creates or changes, named in its audit record. */
  object: AuditObject;
  env?: string | null;
  /** Non-secret fields summarising the change (undefined fields are left out). */
  change?: Record<string, ChangeValue>;
  /** Judge everything as for real, then roll it all back and return what the work returned. */
  dryRun?: boolean;
}

/** Carries a dry run's result out of the transaction it rolls back. */
class RolledBack<T> extends Error {
  constructor(readonly result: T) {
    super("dry run: rolled back");
  }
}

/** "image=web:1.4 replicas=3 keys=A,B" */
export function changeText(change: WriteOp["change"]): string | null {
  if (!change) return null;
  const parts = Object.entries(change)
    .filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0))
    .map(([k, v]) => {
      const text = Array.isArray(v) ? v.join(",") : String(v);
      // Quoted where a space would make the line ambiguous.
      return `${k}=${/[\s"=]/.test(text) ? JSON.stringify(text) : text}`;
    });
  // Cut by code points, never inside a surrogate pair.
  return parts.length > 0 ? Array.from(parts.join(" ")).slice(0, 1000).join("") : null;
}

/**
 * The one way a use case writes: one transaction in which the tenant's quotas and isolation
 * policy are judged on what the work wrote (before it commits, so a refusal leaves no trace),
 * and the call's audit record learns what object changed and how. Who may call at all is judged
 * before this, at the API's edge (route guards, before validation, so other tenants' objects
 * answer 404), and for environments only a request body names, by AccessService in the route.
 */
export class WritePath {
  constructor(
    private readonly store: Store,
    private readonly audit: AuditNotes,
  ) {}

  /**
   * For a change made outside the store (a cluster node's labels): it is named in the audit
   * record all the same, but holds no transaction open while a remote engine answers.
   */
  describe(op: WriteOp): void {
    this.audit.describe?.({ object: op.object, env: op.env ?? null, change: changeText(op.change) });
  }

  async run<T>(op: WriteOp, work: (tx: Store) => Promise<T>): Promise<T> {
    // Said first: a refused call is recorded with what it tried to change.
    this.describe(op);
    try {
      return await this.store.transaction(async (tx) => {
        const tenant = op.tenant === undefined ? undefined : await tx.tenants.find(op.tenant);
        // A tenant the write creates (a manifest) has no quotas yet, but its isolation is judged.
        const quota = tenant ? await quotaCheckpoint(tx, tenant.id) : undefined;
        const isolation =
          op.tenant === undefined ? undefined : await isolationCheckpoint(tx, op.tenant, tenant);
        const result = await work(tx);
        // Isolation first: a change the policy forbids is refused as such, whatever its size.
        for (const note of (await isolation?.verify()) ?? []) this.audit.note(note);
        await quota?.verify();
        if (op.dryRun) throw new RolledBack(result);
        return result;
      });
    } catch (error) {
      if (error instanceof RolledBack) return error.result as T;
      throw error;
    }
  }
}

/** For services used outside the API (tests, tools): writes still judge quotas and isolation. */
export const NO_AUDIT: AuditNotes = { note: () => {} };
