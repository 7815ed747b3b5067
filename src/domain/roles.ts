import { z } from "zod";

/** Tenant roles, weakest first. Platform admin is not a tenant role: it is a property of the user. */
export const ROLES = ["viewer", "developer", "maintainer", "owner"] as const;
export const Role = z.enum(ROLES).meta({
  id: "Role",
  description:
    "viewer: read-only, no secrets; developer: deploys to unprotected environments; maintainer: deploys anywhere; owner: also manages members, environments and quotas",
});
export type Role = z.infer<typeof Role>;

/** Who may deploy to (and read the secrets of) a protected environment. */
export const ProtectionRole = z.enum(["developer", "maintainer", "owner"]).meta({
  id: "ProtectionRole",
  description:
    "The weakest role that may deploy, change config or read secrets there (developer: unprotected)",
});

export const rank = (role: Role): number => ROLES.indexOf(role);
export const atLeast = (role: Role, floor: Role): boolean => rank(role) >= rank(floor);
export const weaker = (a: Role, b: Role): Role => (rank(a) <= rank(b) ? a : b);
export const stronger = (a: Role, b: Role): Role => (rank(a) >= rank(b) ? a : b);

/**
 * Everything a caller can be allowed to do. `env.*` permissions are judged per environment and
 * are raised by its protection; `tenant.*` and `app.*` are judged on the tenant; `platform.admin`
 * only platform admins hold.
 */
export const PERMISSIONS = {
  "platform.admin": { floor: null, env: false, description: "users, tenants, keys, backups, exceptions" },
  "tenant.read": { floor: "viewer", env: false, description: "see the tenant, its apps and environments" },
  "env.read": { floor: "viewer", env: true, description: "see releases, containers, logs, config (masked)" },
  "env.deploy": {
    floor: "developer",
    env: true,
    description: "deploy, scale, roll back, canary, routes, config and secrets changes",
  },
  "env.secrets": { floor: "developer", env: true, description: "read secret values" },
  "app.create": { floor: "developer", env: false, description: "create apps" },
  build: { floor: "developer", env: false, description: "build images from a context" },
  "app.delete": { floor: "maintainer", env: false, description: "delete apps (from every environment)" },
  "tenant.manage": {
    floor: "owner",
    env: false,
    description: "members, environments, protection, environment quotas, the tenant's audit log",
  },
} as const satisfies Record<string, { floor: Role | null; env: boolean; description: string }>;
export type Permission = keyof typeof PERMISSIONS;
export const PERMISSION_NAMES = Object.keys(PERMISSIONS) as Permission[];

/** Which environments an action reaches: one by name, or every environment of the tenant. */
export type EnvReach = string | undefined;
export const EVERY_ENV = "*";

/** What the policy needs to know about a caller in one tenant. */
export interface Standing {
  /** A platform admin acting with an unscoped token. */
  admin: boolean;
  /** The caller's effective role in the tenant (membership capped by the token), or null. */
  role: Role | null;
  /** Set when the token only reaches one environment of the tenant. */
  onlyEnv: string | null;
}

export type Verdict = "allow" | "hidden" | "forbidden";

/**
 * The weakest tenant role that holds `permission` over `envs` ("admin": only a platform admin).
 * Protection raises deploying and reading secrets to the environment's own floor.
 */
export function requiredRole(
  permission: Permission,
  envs: readonly { name: string; minRole: Role | null }[] = [],
): Role | "admin" {
  const rule = PERMISSIONS[permission];
  if (rule.floor === null) return "admin";
  let needed: Role = rule.floor;
  if (permission === "env.deploy" || permission === "env.secrets")
    for (const e of envs) if (e.minRole) needed = stronger(needed, e.minRole);
  return needed;
}

/**
 * The whole role matrix as one pure function. `envs` are the environments the action reaches,
 * each with its protection (the weakest role that may deploy there); `env.*` permissions need a
 * role that clears every one of them. Callers outside the tenant are told it does not exist.
 */
export function decide(
  who: Standing,
  permission: Permission,
  envs: readonly { name: string; minRole: Role | null }[] = [],
): Verdict {
  if (who.admin) return "allow";
  if (who.role === null) return "hidden";
  if (who.onlyEnv !== null && !envScopedTokenMay(permission, envs, who.onlyEnv)) return "forbidden";
  const needed = requiredRole(permission, envs);
  return needed !== "admin" && atLeast(who.role, needed) ? "allow" : "forbidden";
}

/** An environment-scoped token reads the tenant, builds, and acts in its one environment only. */
export function envScopedTokenMay(
  permission: Permission,
  envs: readonly { name: string }[],
  onlyEnv: string,
): boolean {
  const rule = PERMISSIONS[permission];
  if (!rule.env) return permission === "tenant.read" || permission === "build";
  return envs.length > 0 && envs.every((e) => e.name === onlyEnv);
}
