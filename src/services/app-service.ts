import type { App, AppInfo } from "../domain/app.js";
import { DomainError } from "../domain/domain-error.js";
import { appKey } from "../domain/labels.js";
import type { Enqueuer } from "../reconciler/enqueuer.js";
import type { Store } from "../store/store.js";
import { findApp, findTenant } from "./lookup.js";
import type { RoutingSettings } from "./ports.js";
import { toDeployment } from "./to-deployment.js";
import { NO_AUDIT, WritePath } from "./write-path.js";

export class AppService {
  constructor(
    private readonly store: Store,
    private readonly reconciler: Enqueuer,
    private readonly routing: RoutingSettings,
    private readonly writes: WritePath = new WritePath(store, NO_AUDIT),
  ) {}

  async create(tenant: string, name: string): Promise<App> {
    return this.writes.run({ tenant, object: { kind: "app", name } }, async (tx) => {
      const t = await findTenant(tx, tenant);
      const taken = await tx.apps.find(t.id, name);
      if (taken?.capability)
        throw new DomainError(
          "conflict",
          `'${name}' is the name of a service instance (capability ${taken.capability}) in tenant '${tenant}'; choose another name`,
          "name",
        );
      if (taken)
        throw new DomainError("conflict", `app '${name}' already exists in tenant '${tenant}'`, "name");
      const row = await tx.apps.create(t.id, name);
      return { tenant, name: row.name, createdAt: row.created_at };
    });
  }

  async list(tenant: string): Promise<App[]> {
    const t = await findTenant(this.store, tenant);
    return (await this.store.apps.list(t.id)).map((r) => ({ tenant, name: r.name, createdAt: r.created_at }));
  }

  async info(tenant: string, name: string): Promise<AppInfo> {
    const t = await findTenant(this.store, tenant);
    const app = await findApp(this.store, t, name);
    const deployments = await this.store.deployments.listForApp(app.id);
    return {
      tenant,
      name: app.name,
      createdAt: app.created_at,
      deployments: deployments.map((d) => ({ env: d.env, ...toDeployment(d, d, this.routing) })),
    };
  }

  /** Deletes the desired state; the reconciler then drains and removes the containers. */
  async delete(tenant: string, name: string): Promise<void> {
    const keys = await this.writes.run(
      { tenant, object: { kind: "app", name }, change: { deleted: true } },
      async (tx) => {
        const t = await findTenant(tx, tenant);
        const app = await findApp(tx, t, name);
        const bound = await tx.bindings.ofApp(app.id);
        if (bound.length > 0)
          throw new DomainError(
            "conflict",
            `${name} is bound to ${bound.map((b) => `${b.instance} in ${b.env}`).join(", ")}; unbind first ('berth unbind ${name} ${bound[0]?.instance} --env ${bound[0]?.env}')`,
          );
        const deployments = await tx.deployments.listForApp(app.id);
        await tx.apps.delete(app.id);
        return deployments.map((d) => appKey(d));
      },
    );
    for (const key of keys) this.reconciler.enqueue(key);
  }
}
