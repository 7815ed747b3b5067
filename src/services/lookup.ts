import { DomainError } from "../domain/domain-error.js";
import type { AppRow } from "../store/app-repository.js";
import type { EnvironmentRow } from "../store/environment-repository.js";
import type { Store } from "../store/store.js";
import type { TenantRow } from "../store/tenant-repository.js";

/** Name-to-row lookups that fail with a sentence the user can act on. */
export async function findTenant(store: Store, tenant: string): Promise<TenantRow> {
  const row = await store.tenants.find(tenant);
  if (!row)
    throw new DomainError(
      "not_found",
      `tenant '${tenant}' does not exist; create it with 'berth tenant create ${tenant}'`,
    );
  return row;
}

export async function findEnv(store: Store, tenant: TenantRow, env: string): Promise<EnvironmentRow> {
  const row = await store.environments.find(tenant.id, env);
  if (!row)
    throw new DomainError(
      "not_found",
      `environment '${env}' does not exist in tenant '${tenant.name}'; create it with 'berth env create ${env} --tenant ${tenant.name}'`,
    );
  return row;
}

export async function findApp(store: Store, tenant: TenantRow, app: string): Promise<AppRow> {
  const row = await store.apps.find(tenant.id, app);
  if (!row)
    throw new DomainError(
      "not_found",
      `app '${app}' does not exist in tenant '${tenant.name}'; create it with 'berth app create ${app} --tenant ${tenant.name}'`,
    );
  // A component app runs a service instance; it changes only through `berth service`.
  if (row.capability !== null)
    throw new DomainError(
      "conflict",
      `'${app}' runs service instances (capability ${row.capability}), not an app; see 'berth service info ${app}'`,
    );
  return row;
}

export interface AppInEnv {
  tenant: TenantRow;
  env: EnvironmentRow;
  app: AppRow;
}

export async function findAppInEnv(
  store: Store,
  tenant: string,
  env: string,
  app: string,
): Promise<AppInEnv> {
  const t = await findTenant(store, tenant);
  const [e, a] = await Promise.all([findEnv(store, t, env), findApp(store, t, app)]);
  return { tenant: t, env: e, app: a };
}
