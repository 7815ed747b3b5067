import { DomainError } from "../domain/domain-error.js";
import type { Tenant } from "../domain/tenant.js";
import type { Store } from "../store/store.js";
import { findTenant } from "./lookup.js";
import { NO_AUDIT, WritePath } from "./write-path.js";

export class TenantService {
  constructor(
    private readonly store: Store,
    private readonly writes: WritePath = new WritePath(store, NO_AUDIT),
  ) {}

  async create(name: string, owner?: string): Promise<Tenant> {
    return this.writes.run({ object: { kind: "tenant", name }, change: { owner } }, async (tx) => {
      if (await tx.tenants.find(name))
        throw new DomainError("conflict", `tenant '${name}' already exists`, "name");
      const user = owner === undefined ? undefined : await tx.users.find(owner);
      if (owner !== undefined && !user)
        throw new DomainError(
          "not_found",
          `user '${owner}' does not exist; create it with 'berth user create ${owner}'`,
          "owner",
        );
      const row = await tx.tenants.create(name);
      if (user) await tx.memberships.put(row.id, user.id, "owner");
      return toTenant(row);
    });
  }

  async list(): Promise<Tenant[]> {
    return (await this.store.tenants.list()).map(toTenant);
  }

  /** Refuses while apps remain: deleting a tenant must never silently take running apps down. */
  async delete(name: string): Promise<void> {
    await this.writes.run({ object: { kind: "tenant", name }, change: { deleted: true } }, async (tx) => {
      const tenant = await findTenant(tx, name);
      const apps = await tx.apps.list(tenant.id);
      if (apps.length > 0)
        throw new DomainError(
          "conflict",
          `tenant '${name}' still has ${apps.length} app(s) (${apps.map((a) => a.name).join(", ")}); delete them first`,
        );
      const instances = await tx.instances.list(tenant.id);
      if (instances.length > 0)
        throw new DomainError(
          "conflict",
          `tenant '${name}' still has ${instances.length} service instance(s) (${instances.map((i) => `${i.name} in ${i.env}`).join(", ")}); delete them first`,
        );
      await tx.tenants.delete(tenant.id);
    });
  }
}

const toTenant = (r: { name: string; created_at: string }): Tenant => ({
  name: r.name,
  createdAt: r.created_at,
});
