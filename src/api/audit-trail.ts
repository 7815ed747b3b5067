import { AsyncLocalStorage } from "node:async_hooks";
import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context, MiddlewareHandler } from "hono";
import type { AuditEntry } from "../domain/audit.js";
import type { AuditDescription, AuditNotes } from "../services/ports.js";
import { principalOf } from "./bearer-auth.js";

interface RequestAudit {
  notes: string[];
  description?: AuditDescription;
}
const auditOfRequest = new AsyncLocalStorage<RequestAudit>();

/**
 * What services say about the call being served (an exception relied on, say) lands in that
 * call's audit record. Outside an API call (the reconciler, a staged rollout) notes go nowhere:
 * there is no caller to attribute them to.
 */
export const requestNotes: AuditNotes = {
  note: (text) => {
    auditOfRequest.getStore()?.notes.push(text);
  },
  describe: (description) => {
    const current = auditOfRequest.getStore();
    // The first write of a call names its object; later ones (a rollout it caused) do not rename it.
    if (current && !current.description) current.description = description;
  },
};

const MUTATING = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const TENANT_IN_PATH = /\/tenants\/([a-z0-9-]{1,63})(?:\/|$)/;

/**
 * Records every mutating call once it has an answer, refused ones included (401, 400, 403...).
 * Only the method, route and path are kept, never a body: secrets cannot end up in the log.
 * A failure to record is logged and does not change the answer the client already has.
 */
export function auditTrail(
  record: (entry: Omit<AuditEntry, "id" | "at" | "hash">) => Promise<void>,
  onError: (error: unknown) => void,
): MiddlewareHandler {
  return async (c, next) => {
    if (!MUTATING.has(c.req.method)) return next();
    const audit: RequestAudit = { notes: [] };
    const notes = audit.notes;
    try {
      await auditOfRequest.run(audit, next);
    } finally {
      const caller = principalOf(c);
      const described = audit.description;
      await record({
        actor: caller?.user ?? "anonymous",
        tokenId: caller?.tokenId ?? null,
        tenant: tenantOf(c),
        action: `${c.req.method} ${routeOf(c)}`,
        target: c.req.path.replace(/^\/api\/v1/, ""),
        result: c.res.status,
        source: sourceOf(c),
        // A failed call did not do what its notes say it was about to.
        detail: notes.length > 0 && c.res.status < 400 ? notes.join("; ") : null,
        env: described?.env ?? null,
        object: described?.object ?? null,
        change: described?.change ?? null,
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

/** The TCP peer of the request. */
export function sourceOf(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? "unknown";
  } catch {
    return "unknown";
  }
}
