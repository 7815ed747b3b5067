import type { Context, MiddlewareHandler } from "hono";
import { EnvName, TenantName } from "../domain/dns-label.js";
import { DomainError } from "../domain/domain-error.js";
import type { EnvReach, Permission } from "../domain/roles.js";
import type { AccessService } from "../services/access-service.js";
import { callerOf } from "./bearer-auth.js";

const security = [{ bearer: [] }];

/**
 * How a route is authorised, as written into its OpenAPI operation (`x-berth-access`) so API
 * users can see it and the security suite can check every route has one.
 *  - permission: what the caller must hold (docs/security.md has the matrix);
 *  - tenant: where the tenant comes from (the path, the query, or the body: checked in the handler);
 *  - env: "path" judges the environment in the path; "body"/"query" means the handler judges it
 *    again once the input is validated (e.g. a config change for one environment or for all).
 */
export interface Access {
  /** self: the {user} in the path is the caller (or the caller is a platform admin). */
  permission: Permission | "authenticated" | "public" | "self";
  tenant?: "path" | "query" | "body";
  env?: "path" | "body" | "query";
}

/** Spread into createRoute({...}): the bearer scheme, the check, and its description. */
export type Guarded = {
  security: typeof security;
  middleware: MiddlewareHandler[];
  "x-berth-access": Access;
};

/**
 * Route-level authorisation. It runs before the request is validated, so a caller without the
 * right learns nothing from validation errors, and another tenant's routes answer 404 whatever
 * the body. An invalid tenant or environment name skips the check: the validator answers 400,
 * and no such tenant can exist.
 */
export function guards(access: AccessService) {
  const check =
    (rule: Access): MiddlewareHandler =>
    async (c, next) => {
      if (rule.permission === "self") {
        const p = callerOf(c);
        if (!p.admin && c.req.param("user") !== p.user)
          throw new DomainError("forbidden", `only ${c.req.param("user")} or a platform admin may do this`);
        return next();
      }
      if (rule.permission === "authenticated" || rule.permission === "public" || rule.tenant === "body")
        return next();
      const tenant = tenantFrom(c, rule);
      const env = rule.env === "path" ? c.req.param("env") : undefined;
      if (tenant === null || (env !== undefined && !EnvName.safeParse(env).success)) return next();
      // Without a tenant to judge it in, only a platform admin holds a tenant permission.
      if (tenant === undefined) await access.require(callerOf(c), "platform.admin");
      // The environment is in the body or query: the handler judges it once validated.
      else if (rule.env === "body" || rule.env === "query")
        await access.requireFloor(callerOf(c), rule.permission, tenant);
      else await access.require(callerOf(c), rule.permission, tenant, env);
      await next();
    };
  return (rule: Access): Guarded => ({ security, middleware: [check(rule)], "x-berth-access": rule });
}

/** undefined: no tenant (a platform route); null: an invalid name the validator will refuse. */
function tenantFrom(c: Context, rule: Access): string | undefined | null {
  if (rule.tenant === undefined) return undefined;
  const raw = rule.tenant === "path" ? c.req.param("tenant") : c.req.query("tenant");
  if (raw === undefined) return rule.tenant === "query" ? undefined : null;
  return TenantName.safeParse(raw).success ? raw : null;
}

/**
 * The second half of a guard, for what only the validated input says: the environment a config
 * change reaches, whether secrets are asked for, the target of a promotion.
 */
export const requireIn =
  (access: AccessService) =>
  (c: Context, permission: Permission, tenant: string, reach?: EnvReach): Promise<void> =>
    access.require(callerOf(c), permission, tenant, reach);
