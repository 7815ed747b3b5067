import { DomainError } from "../domain/domain-error.js";
import type { Principal } from "../domain/identity.js";
import type { Manifest } from "../domain/manifest.js";
import {
  decide,
  type EnvReach,
  EVERY_ENV,
  PERMISSIONS,
  type Permission,
  type Role,
  requiredRole,
  type Standing,
  weaker,
} from "../domain/roles.js";
import type { Store } from "../store/store.js";
import type { TenantRow } from "../store/tenant-repository.js";

/**
 * Answers "may this caller do that here?" from the store, with the pure role matrix in
 * domain/roles.ts. Refusals are DomainErrors: not_found when the tenant is not the caller's to
 * see (so nothing leaks that it exists), forbidden when it is but the right is missing.
 */
export class AccessService {
  constructor(
    private readonly store: Store,
    /**
     * Throws when an environment cannot take a change now (its cluster has no manager quorum).
     * Every change to environments is judged here as env.deploy over the environments it
     * reaches, so this is the one place that refuses it whole, before anything is written.
     */
    private readonly writable: (tenant: string, env: string) => Promise<void> = async () => {},
  ) {}

  /** The caller's standing in one tenant: admin, effective role, environment limit. */
  async standing(p: Principal, tenant: TenantRow): Promise<Standing> {
    if (p.admin) return { admin: true, role: "owner", onlyEnv: null };
    if (p.scope && p.scope.tenantId !== tenant.id) return { admin: false, role: null, onlyEnv: null };
    const member = p.userAdmin
      ? "owner"
      : ((await this.store.memberships.roleOf(tenant.id, p.userId)) as Role | undefined);
    if (!member) return { admin: false, role: null, onlyEnv: null };
    return {
      admin: false,
      role: p.scope?.role ? weaker(member, p.scope.role) : member,
      onlyEnv: p.scope?.env ?? null,
    };
  }

  /** Throws unless the caller holds `permission` in `tenant` over the environments it reaches. */
  async require(p: Principal, permission: Permission, tenant?: string, reach?: EnvReach): Promise<void> {
    if (tenant === undefined) {
      if (PERMISSIONS[permission].floor !== null) throw new Error(`${permission} needs a tenant`);
      if (!p.admin)
        throw new DomainError(
          "forbidden",
          `only a platform admin may do this; you are signed in as ${p.user}${p.scope ? ` with a token limited to tenant '${p.scope.tenant}'` : ""}`,
        );
      return;
    }
    await this.judge(p, permission, tenant, reach, false);
  }

  /**
   * The first half of a check whose environment only the validated input names: the tenant must
   * be the caller's and their role must reach the permission's floor. The handler then calls
   * require() with the environment, where an environment-scoped token is judged; a tenant
   * permission is judged in full now.
   */
  requireFloor(p: Principal, permission: Permission, tenant: string): Promise<void> {
    return this.judge(p, permission, tenant, undefined, PERMISSIONS[permission].env);
  }

  /**
   * berth.yaml may create the tenant (admin), environments (owner) and apps (developer), and
   * writes every layer it lists: a tenant- or app-wide layer reaches every environment. Manifests
   * are tenant-wide, so an environment-scoped token cannot apply one.
   */
  async requireManifest(p: Principal, m: Manifest): Promise<void> {
    const tenant = await this.store.tenants.find(m.tenant);
    if (!tenant) {
      if (p.admin) return;
      throw hidden(m.tenant);
    }
    // Applying is writing, even a manifest that lists nothing: a viewer may not.
    await this.require(p, "env.deploy", m.tenant);
    const envs = new Set(Object.keys(m.environments ?? {}));
    for (const a of Object.values(m.apps ?? {})) for (const e of Object.keys(a.envs ?? {})) envs.add(e);
    for (const e of envs)
      if (!(await this.store.environments.find(tenant.id, e)))
        await this.require(p, "tenant.manage", m.tenant);
    for (const a of Object.keys(m.apps ?? {}))
      if (!(await this.store.apps.find(tenant.id, a))) await this.require(p, "app.create", m.tenant);
    const layered = (x: object, keys: readonly string[]) => keys.some((k) => Object.hasOwn(x, k));
    const wide =
      layered(m, LAYER_KEYS) ||
      Object.values(m.apps ?? {}).some((a) => layered(a, [...LAYER_KEYS, "files", "image"]));
    if (wide) await this.require(p, "env.deploy", m.tenant, EVERY_ENV);
    for (const e of envs) await this.require(p, "env.deploy", m.tenant, e);
  }

  /** The tenants a caller may see at all. */
  async visibleTenants(p: Principal): Promise<TenantRow[]> {
    const all = await this.store.tenants.list();
    if (p.admin) return all;
    const visible: TenantRow[] = [];
    for (const t of all) if ((await this.standing(p, t)).role !== null) visible.push(t);
    return visible;
  }

  private async judge(
    p: Principal,
    permission: Permission,
    tenant: string,
    reach: EnvReach,
    envLater: boolean,
  ): Promise<void> {
    const row = await this.store.tenants.find(tenant);
    // An admin may ask about a tenant that does not exist; the service answers with its own 404.
    if (!row) {
      if (p.admin) return;
      throw hidden(tenant);
    }
    const who = await this.standing(p, row);
    const envs = await this.reached(row, reach);
    const verdict = decide(envLater ? { ...who, onlyEnv: null } : who, permission, envs);
    if (verdict === "hidden") throw hidden(tenant);
    if (verdict === "forbidden") throw forbidden(who, permission, tenant, envs);
    if (permission === "env.deploy" && !envLater) for (const e of envs) await this.writable(tenant, e.name);
  }

  private async reached(
    tenant: TenantRow,
    reach: EnvReach,
  ): Promise<{ name: string; minRole: Role | null }[]> {
    if (reach === undefined) return [];
    const rows =
      reach === EVERY_ENV
        ? await this.store.environments.list(tenant.id)
        : [(await this.store.environments.find(tenant.id, reach)) ?? { name: reach, min_role: null }];
    return rows.map((e) => ({ name: e.name, minRole: e.min_role as Role | null }));
  }
}

const LAYER_KEYS = ["config", "secrets", "resources"] as const;

/** The same answer whether the tenant is missing or merely someone else's. */
export const hidden = (tenant: string) =>
  new DomainError("not_found", `tenant '${tenant}' does not exist, or you are not a member of it`);

const WHAT: Record<Permission, string> = {
  "platform.admin": "this needs a platform admin",
  "tenant.read": "reading the tenant",
  "env.read": "reading",
  "env.deploy": "deploying and changing config",
  "env.secrets": "reading secrets",
  "app.create": "creating apps",
  build: "building images",
  "app.delete": "deleting apps",
  "tenant.manage": "managing members, environments and quotas",
};

function forbidden(
  who: Standing,
  permission: Permission,
  tenant: string,
  envs: readonly { name: string; minRole: Role | null }[],
): DomainError {
  const where = envs.length === 1 ? ` in ${envs[0]?.name}` : envs.length > 1 ? " in every environment" : "";
  if (who.onlyEnv !== null && (envs.some((e) => e.name !== who.onlyEnv) || !PERMISSIONS[permission].env))
    return new DomainError(
      "forbidden",
      `${WHAT[permission]}${where} of tenant '${tenant}' is outside this token's scope (only environment ${who.onlyEnv})`,
    );
  const needed = requiredRole(permission, envs);
  const protectedBy = envs.filter((e) => e.minRole && e.minRole !== "developer").map((e) => e.name);
  const why =
    protectedBy.length > 0 && needed !== PERMISSIONS[permission].floor
      ? ` (${protectedBy.join(", ")} protected)`
      : "";
  const role = who.role ?? "none";
  if (needed === "admin")
    return new DomainError("forbidden", `${WHAT[permission]}; your role in tenant '${tenant}' is ${role}`);
  return new DomainError(
    "forbidden",
    `${WHAT[permission]}${where} of tenant '${tenant}' needs the ${needed} role${why}; yours is ${role}`,
  );
}
