import type { Context, MiddlewareHandler } from "hono";
import type { Principal } from "../domain/identity.js";
import type { ErrorBody } from "./error-body.js";

const PRINCIPAL_KEY = "berthPrincipal";

/** The caller of this request, once its token is accepted (the audit log records it). */
export const principalOf = (c: Context): Principal | undefined =>
  c.get(PRINCIPAL_KEY as never) as Principal | undefined;

/** For handlers behind bearerAuth, where a caller always exists. */
export const callerOf = (c: Context): Principal => {
  const p = principalOf(c);
  if (!p) throw new Error("no principal: route registered outside bearer auth");
  return p;
};

/**
 * Bearer-token check on every request. Unknown, malformed, expired and revoked tokens all get
 * the same 401: nothing tells a caller which of these their token is.
 */
export function bearerAuth(
  authenticate: (token: string) => Promise<Principal | undefined>,
): MiddlewareHandler {
  return async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const match = header.match(/^Bearer ([A-Za-z0-9_-]{1,200})$/);
    const principal = match?.[1] ? await authenticate(match[1]) : undefined;
    if (!principal) {
      const body: ErrorBody = {
        error: {
          code: "unauthorized",
          message: "missing, expired or revoked API token; sign in with 'berth login URL' (or --token TOKEN)",
        },
      };
      return c.json(body, 401);
    }
    c.set(PRINCIPAL_KEY as never, principal as never);
    await next();
  };
}
