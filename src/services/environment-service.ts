import { DomainError } from "../domain/domain-error.js";
import type { Environment } from "../domain/environment.js";
import type { EnvironmentRow } from "../store/environment-repository.js";
import type { Store } from "../store/store.js";
import { findEnv, findTenant } from "./lookup.js";
import { NO_AUDIT, WritePath } from "./write-path.js";

export class EnvironmentService {
  constructor(
    private readonly store: Store,
    private readonly writes: WritePath = new WritePath(store, NO_AUDIT),
  ) {}

  async create(tenant: string, name: string, cluster?: string): Promise<Environment> {
    const op = { tenant, object: { kind: "environment", name }, env: name, change: { cluster } } as const;
    return this.writes.run(op, async (tx) => {
      const t = await findTenant(tx, tenant);
      const c = cluster === undefined ? undefined : await tx.clusters.find(cluster);
      if (cluster !== undefined && !c)
        throw new DomainError(
          "not_found",
          `cluster '${cluster}' not found (see 'berth cluster list')`,
          "cluster",
        );
      if (await tx.environments.find(t.id, name))
        throw new DomainError(
          "conflict",
          `environment '${name}' already exists in tenant '${tenant}'`,
          "name",
        );
      const row = await tx.environments.create(t.id, name, c?.id ?? null);
      return toEnvironment(tenant, row, c?.name ?? null);
    });
  }

  async list(tenant: string): Promise<Environment[]> {
    const t = await findTenant(this.store, tenant);
    const clusters = new Map((await this.store.clusters.list()).map((c) => [c.id, c.name]));
    return (await this.store.environments.list(t.id)).map((r) =>
      toEnvironment(tenant, r, r.cluster_id === null ? null : (clusters.get(r.cluster_id) ?? null)),
    );
  }

  /** Refuses while apps are deployed there; the reconciler removes the network afterwards. */
  async delete(tenant: string, name: string): Promise<void> {
    const op = {
      tenant,
      object: { kind: "environment", name },
      env: name,
      change: { deleted: true },
    } as const;
    await this.writes.run(op, async (tx) => {
      const t = await findTenant(tx, tenant);
      const env = await findEnv(tx, t, name);
      // Instances first: their components count as deployments, but are deleted as services.
      const instances = await tx.instances.list(t.id, env.id);
      if (instances.length > 0)
        throw new DomainError(
          "conflict",
          `environment '${name}' still has ${instances.length} service instance(s) (${instances.map((i) => i.name).join(", ")}); delete them first ('berth service delete NAME --env ${name}')`,
        );
      const deployed = await tx.deployments.countForEnv(env.id);
      if (deployed > 0)
        throw new DomainError(
          "conflict",
          `environment '${name}' still has ${deployed} deployed app(s); delete those apps first`,
        );
      await tx.environments.delete(env.id);
    });
  }
}

const toEnvironment = (tenant: string, r: EnvironmentRow, cluster: string | null): Environment => ({
  tenant,
  name: r.name,
  protectedFor: (r.min_role as Environment["protectedFor"]) ?? null,
  cluster,
  createdAt: r.created_at,
});
