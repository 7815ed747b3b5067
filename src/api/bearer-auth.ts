import { createHash, randomBytes } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import type { ErrorBody } from "./error-body.js";

export const hashToken = (token: string) => createHash("sha256").update(token, "utf8").digest("hex");
export const newToken = () => `berth_${randomBytes(32).toString("base64url")}`;

/** Who a request acts as, once its token is accepted. */
export interface TokenIdentity {
  id: number;
  name: string;
}

const TOKEN_KEY = "berthToken";

/** The accepted token of this request, if any (the audit log records it). */
export const tokenOf = (c: Context): TokenIdentity | undefined =>
  c.get(TOKEN_KEY as never) as TokenIdentity | undefined;

/**
 * Bearer-token check. Tokens are looked up by their SHA-256, so the comparison never touches
 * the secret itself and the store never holds it.
 */
export function bearerAuth(
  find: (tokenHash: string) => Promise<TokenIdentity | undefined>,
): MiddlewareHandler {
  return async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const match = header.match(/^Bearer ([A-Za-z0-9_-]{1,200})$/);
    const token = match?.[1] ? await find(hashToken(match[1])) : undefined;
    if (!token) {
      const body: ErrorBody = {
        error: {
          code: "unauthorized",
          message:
            "missing or invalid API token; run 'berth login URL --token TOKEN' (the admin token is in the server's data dir)",
        },
      };
      return c.json(body, 401);
    }
    c.set(TOKEN_KEY as never, token as never);
    await next();
  };
}
