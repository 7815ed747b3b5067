import type { Burst, BurstRequest } from "../domain/burst.js";
import { DomainError } from "../domain/domain-error.js";
import { appKey } from "../domain/labels.js";
import type { Enqueuer } from "../reconciler/enqueuer.js";
import type { BurstRow } from "../store/burst-repository.js";
import type { Store } from "../store/store.js";
import { findAppInEnv } from "./lookup.js";
import { NO_AUDIT, WritePath } from "./write-path.js";

interface Where {
  tenant: string;
  env: string;
  app: string;
}

/** Hybrid-cloud burst per app and environment: replicas prefer one node pool and overflow to another. */
export class BurstService {
  constructor(
    private readonly store: Store,
    private readonly reconciler: Enqueuer,
    private readonly writes: WritePath = new WritePath(store, NO_AUDIT),
  ) {}

  async set(where: Where, req: BurstRequest): Promise<Burst> {
    const w = await findAppInEnv(this.store, where.tenant, where.env, where.app);
    // The local engine has one host: there is no other pool to overflow to.
    if (w.env.cluster_id === null)
      throw new DomainError(
        "invalid",
        `environment ${where.env} runs on the local engine; burst needs an environment on a cluster (env create --cluster)`,
        "env",
      );
    const op = {
      tenant: where.tenant,
      object: { kind: "burst", name: where.app },
      env: where.env,
      change: { ...req },
    } as const;
    const row = await this.writes.run(op, (tx) =>
      tx.bursts.set(w.app.id, w.env.id, req.prefer, req.overflow, req.maxOverflow),
    );
    this.reconciler.enqueue(appKey(where));
    return toBurst(row);
  }

  async show(where: Where): Promise<Burst> {
    const w = await findAppInEnv(this.store, where.tenant, where.env, where.app);
    const row = await this.store.bursts.find(w.app.id, w.env.id);
    if (!row) throw new DomainError("not_found", `${where.app} has no burst policy in ${where.env}`);
    return toBurst(row);
  }

  async clear(where: Where): Promise<void> {
    const w = await findAppInEnv(this.store, where.tenant, where.env, where.app);
    const op = {
      tenant: where.tenant,
      object: { kind: "burst", name: where.app },
      env: where.env,
      change: { cleared: true },
    } as const;
    if (!(await this.writes.run(op, (tx) => tx.bursts.clear(w.app.id, w.env.id))))
      throw new DomainError("not_found", `${where.app} has no burst policy in ${where.env}`);
    this.reconciler.enqueue(appKey(where));
  }
}

const toBurst = (r: BurstRow): Burst => ({
  prefer: r.prefer,
  overflow: r.overflow,
  maxOverflow: r.max_overflow,
  updatedAt: r.updated_at,
});
