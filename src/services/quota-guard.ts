import { DomainError } from "../domain/domain-error.js";
import { type QuotaLimits, type QuotaUsage, quotaProblem } from "../domain/quota.js";
import type { ResourceRow } from "../store/deployment-repository.js";
import type { QuotaRow } from "../store/quota-repository.js";
import type { Store } from "../store/store.js";

export interface TenantUsage {
  tenant: QuotaUsage;
  /** By environment id; environments with nothing deployed are absent. */
  envs: Map<number, QuotaUsage>;
}

const empty = (): QuotaUsage => ({
  cpus: 0,
  memoryMb: 0,
  replicas: 0,
  apps: 0,
  noCpuLimit: [],
  noMemoryLimit: [],
});

export const limitsOf = (row: QuotaRow | undefined): QuotaLimits => ({
  cpus: row?.cpus ?? null,
  memoryMb: row?.memory_mb ?? null,
  replicas: row?.replicas ?? null,
  apps: row?.apps ?? null,
});

/** Use from desired state: replicas times each release's limits, canaries included. */
export async function tenantUsage(tx: Store, tenantId: number): Promise<TenantUsage> {
  const tenant = empty();
  const envs = new Map<number, QuotaUsage>();
  const add = (
    u: QuotaUsage,
    r: ResourceRow,
    resources: { cpus?: number | null; memoryMb?: number | null },
  ) => {
    const where = `${r.app}/${r.env}`;
    u.replicas += r.replicas;
    u.cpus += r.replicas * (resources.cpus ?? 0);
    u.memoryMb += r.replicas * (resources.memoryMb ?? 0);
    if (resources.cpus == null && !u.noCpuLimit.includes(where)) u.noCpuLimit.push(where);
    if (resources.memoryMb == null && !u.noMemoryLimit.includes(where)) u.noMemoryLimit.push(where);
  };
  const rows = [
    ...(await tx.deployments.withResources(tenantId)).map((r) => ({ r, deployment: true })),
    ...(await tx.canaries.activeWithResources(tenantId)).map((r) => ({ r, deployment: false })),
  ];
  for (const { r, deployment } of rows) {
    if (r.replicas <= 0) continue;
    // A release row that is gone counts as unlimited, as an empty resources column did.
    const resources = r.resources ?? { cpus: null, memoryMb: null };
    const env = envs.get(r.env_id) ?? empty();
    envs.set(r.env_id, env);
    add(tenant, r, resources);
    add(env, r, resources);
    if (deployment) env.apps++;
  }
  tenant.apps = await tx.apps.count(tenantId);
  return { tenant, envs };
}

/**
 * Quotas are checked inside the transaction that would break them, after its writes and before
 * its commit: the error rolls everything back, so a refused change leaves no trace. Take the
 * checkpoint before writing, verify it after. A tenant without quotas pays one small query.
 */
export async function quotaCheckpoint(tx: Store, tenantId: number): Promise<{ verify(): Promise<void> }> {
  const quotas = await tx.quotas.list(tenantId);
  if (quotas.length === 0) return { verify: async () => {} };
  const before = await tenantUsage(tx, tenantId);
  return {
    async verify() {
      const after = await tenantUsage(tx, tenantId);
      for (const q of quotas) {
        const pick = (u: TenantUsage) => (q.env_id === 0 ? u.tenant : (u.envs.get(q.env_id) ?? empty()));
        const problem = (scope: string) => quotaProblem(scope, limitsOf(q), pick(before), pick(after));
        // The scope's names are read only for the message: most checks pass.
        if (problem(""))
          throw new DomainError("quota_exceeded", problem(await scopeName(tx, tenantId, q.env_id)) ?? "");
      }
    },
  };
}

async function scopeName(tx: Store, tenantId: number, envId: number): Promise<string> {
  const tenant = (await tx.tenants.findById(tenantId))?.name;
  if (envId === 0) return `tenant ${tenant}`;
  const env = (await tx.environments.list(tenantId)).find((e) => e.id === envId)?.name;
  return `environment ${env} of tenant ${tenant}`;
}
