import { createHash, randomBytes } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import type { ErrorBody } from "./error-body.js";

export const hashToken = (token: string) => createHash("sha256").update(token, "utf8").digest("hex");
export const newToken = () => `berth_${randomBytes(32).toString("base64url")}`;

/**
 * Bearer-token check. Tokens are looked up by their SHA-256, so the comparison never touches
 * the secret itself and the store never holds it.
 */
export function bearerAuth(isValid: (tokenHash: string) => Promise<boolean>): MiddlewareHandler {
  return async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const match = header.match(/^Bearer ([A-Za-z0-9_-]{1,200})$/);
    if (!match?.[1] || !(await isValid(hashToken(match[1])))) {
      const body: ErrorBody = {
        error: {
          code: "unauthorized",
          message:
            "missing or invalid API token; run 'berth login URL --token TOKEN' (the admin token is in the server's data dir)",
        },
      };
      return c.json(body, 401);
    }
    await next();
  };
}
