import { DomainError } from "../domain/domain-error.js";
import type { QuotaLimits, QuotaReport, QuotaRequest } from "../domain/quota.js";
import type { Store } from "../store/store.js";
import { findEnv, findTenant } from "./lookup.js";
import { limitsOf, tenantUsage } from "./quota-guard.js";
import { NO_AUDIT, WritePath } from "./write-path.js";

const EMPTY = { cpus: 0, memoryMb: 0, replicas: 0, apps: 0, noCpuLimit: [], noMemoryLimit: [] };
const KEYS = ["cpus", "memoryMb", "replicas", "apps"] as const;

/**
 * A tenant's quota is the platform's limit (set by platform admins); an environment's is the
 * owner's share of it, never above it. Checks live in quota-guard.ts, inside every transaction
 * that could add use.
 */
export class QuotaService {
  constructor(
    private readonly store: Store,
    private readonly writes: WritePath = new WritePath(store, NO_AUDIT),
  ) {}

  async set(tenant: string, req: QuotaRequest): Promise<QuotaReport> {
    const change = {
      env: req.env,
      cpus: req.cpus,
      memoryMb: req.memoryMb,
      replicas: req.replicas,
      apps: req.apps,
    };
    await this.writes.run({ object: { kind: "quota", name: tenant }, env: req.env, change }, async (tx) => {
      const t = await findTenant(tx, tenant);
      const envId = req.env === undefined ? 0 : (await findEnv(tx, t, req.env)).id;
      const rows = await tx.quotas.list(t.id);
      const current = limitsOf(rows.find((r) => r.env_id === envId));
      const next: QuotaLimits = { ...current };
      for (const k of KEYS) if (req[k] !== undefined) next[k] = req[k] as number | null;
      if (envId !== 0) {
        const ceiling = limitsOf(rows.find((r) => r.env_id === 0));
        for (const k of KEYS) {
          const cap = ceiling[k];
          const want = next[k];
          if (cap !== null && want !== null && want > cap)
            throw new DomainError(
              "invalid",
              `${k} ${want} for ${req.env} is above tenant ${tenant}'s own quota (${cap}); a platform admin sets that`,
              k,
            );
        }
      }
      await tx.quotas.put(t.id, envId, {
        cpus: next.cpus,
        memory_mb: next.memoryMb,
        replicas: next.replicas,
        apps: next.apps,
      });
    });
    return this.show(tenant);
  }

  async show(tenant: string): Promise<QuotaReport> {
    const t = await findTenant(this.store, tenant);
    const rows = await this.store.quotas.list(t.id);
    const usage = await tenantUsage(this.store, t.id);
    const envs = await this.store.environments.list(t.id);
    return {
      tenant,
      scopes: [
        { env: null, limits: limitsOf(rows.find((r) => r.env_id === 0)), usage: usage.tenant },
        ...envs.map((e) => ({
          env: e.name,
          limits: limitsOf(rows.find((r) => r.env_id === e.id)),
          usage: usage.envs.get(e.id) ?? EMPTY,
        })),
      ],
    };
  }
}
