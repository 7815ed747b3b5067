import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context, MiddlewareHandler } from "hono";
import type { AuditEntry } from "../domain/audit.js";
import { tokenOf } from "./bearer-auth.js";

const MUTATING = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const TENANT_IN_PATH = /\/tenants\/([a-z0-9-]{1,63})(?:\/|$)/;

/**
 * Records every mutating call once it has an answer, refused ones included (401, 400, 403...).
 * Only the method, route and path are kept, never a body: secrets cannot end up in the log.
 * A failure to record is logged and does not change the answer the client already has.
 */
export function auditTrail(
  record: (entry: Omit<AuditEntry, "id" | "at">) => Promise<void>,
  onError: (error: unknown) => void,
): MiddlewareHandler {
  return async (c, next) => {
    if (!MUTATING.has(c.req.method)) return next();
    try {
      await next();
    } finally {
      const token = tokenOf(c);
      await record({
        actor: token?.name ?? "anonymous",
        tokenId: token?.id ?? null,
        tenant: tenantOf(c),
        action: `${c.req.method} ${routeOf(c)}`,
        target: c.req.path.replace(/^\/api\/v1/, ""),
        result: c.res.status,
        source: sourceOf(c),
      }).catch(onError);
    }
  };
}

function routeOf(c: Context): string {
  const route = c.req.routePath.replace(/^\/api\/v1/, "").replace(/:([A-Za-z]+)/g, "{$1}");
  // Refused before routing (no token, body too large): the path is all there is.
  return route === "/*" || route === "*" ? c.req.path.replace(/^\/api\/v1/, "") : route;
}

function tenantOf(c: Context): string | null {
  const inPath = TENANT_IN_PATH.exec(c.req.path)?.[1];
  if (inPath) return inPath;
  try {
    // berth.yaml and a new tenant name theirs in the body; the validated body is there once the route ran.
    const body = c.req.valid("json" as never) as
      | { manifest?: { tenant?: unknown }; name?: unknown }
      | undefined;
    if (typeof body?.manifest?.tenant === "string") return body.manifest.tenant;
    return c.req.path.endsWith("/tenants") && typeof body?.name === "string" ? body.name : null;
  } catch {
    return null;
  }
}

function sourceOf(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? "unknown";
  } catch {
    return "unknown";
  }
}
