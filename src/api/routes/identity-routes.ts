import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import {
  CreateTokenRequest,
  CreateUserRequest,
  IssuedToken,
  LoginRequest,
  SetPasswordRequest,
  TokenInfo,
  User,
  UserName,
  WhoAmI,
} from "../../domain/identity.js";
import { sourceOf } from "../audit-trail.js";
import { callerOf } from "../bearer-auth.js";
import { type Access, guards } from "../guard.js";
import { errorResponse, errorResponses, jsonBody, jsonResponse } from "../responses.js";
import type { ApiServices } from "../services.js";

const UserParams = z.object({ user: UserName.meta({ param: { name: "user", in: "path" } }) });
const TokenParams = z.object({
  id: z.coerce
    .number()
    .int()
    .min(1)
    .meta({ param: { name: "id", in: "path" } }),
});
const TokenQuery = z.object({
  all: z
    .enum(["true", "false"])
    .default("false")
    .meta({ param: { name: "all", in: "query" }, description: "Every user's tokens (platform admins)" }),
});

export function registerIdentityRoutes(api: OpenAPIHono, s: ApiServices): void {
  const g = guards(s.access);
  api.openapi(
    createRoute({
      method: "post",
      path: "/sessions",
      tags: ["identity"],
      summary: "Sign in: trade a user name and password for an API token",
      "x-berth-access": { permission: "public" } satisfies Access,
      request: { body: jsonBody(LoginRequest) },
      responses: {
        201: jsonResponse(IssuedToken, "Signed in"),
        ...errorResponses,
        429: errorResponse("Too many failed sign-ins; wait and try again"),
      },
    }),
    async (c) => c.json(await s.identity.login(c.req.valid("json"), sourceOf(c)), 201),
  );
  api.openapi(
    createRoute({
      method: "get",
      path: "/whoami",
      tags: ["identity"],
      summary: "The user and token of this request, and the tenants it reaches",
      ...g({ permission: "authenticated" }),
      responses: { 200: jsonResponse(WhoAmI, "You"), ...errorResponses },
    }),
    async (c) => c.json(await s.identity.whoami(callerOf(c)), 200),
  );

  api.openapi(
    createRoute({
      method: "get",
      path: "/users",
      tags: ["identity"],
      ...g({ permission: "platform.admin" }),
      responses: { 200: jsonResponse(z.array(User), "Every user"), ...errorResponses },
    }),
    async (c) => c.json(await s.identity.listUsers(), 200),
  );
  api.openapi(
    createRoute({
      method: "post",
      path: "/users",
      tags: ["identity"],
      summary: "Create a local user (password hashed with scrypt)",
      ...g({ permission: "platform.admin" }),
      request: { body: jsonBody(CreateUserRequest) },
      responses: { 201: jsonResponse(User, "Created"), ...errorResponses },
    }),
    async (c) => c.json(await s.identity.createUser(c.req.valid("json")), 201),
  );
  api.openapi(
    createRoute({
      method: "delete",
      path: "/users/{user}",
      tags: ["identity"],
      summary: "Delete a user; their memberships and tokens go with them",
      ...g({ permission: "platform.admin" }),
      request: { params: UserParams },
      responses: { 204: { description: "Deleted" }, ...errorResponses },
    }),
    async (c) => {
      await s.identity.deleteUser(c.req.valid("param").user, callerOf(c));
      return c.body(null, 204);
    },
  );
  api.openapi(
    createRoute({
      method: "put",
      path: "/users/{user}/password",
      tags: ["identity"],
      summary: "Set a password: your own, or anyone's as a platform admin",
      ...g({ permission: "self" }),
      request: { params: UserParams, body: jsonBody(SetPasswordRequest) },
      responses: { 204: { description: "Set" }, ...errorResponses },
    }),
    async (c) => {
      await s.identity.setPassword(c.req.valid("param").user, c.req.valid("json").password, callerOf(c));
      return c.body(null, 204);
    },
  );

  api.openapi(
    createRoute({
      method: "get",
      path: "/tokens",
      tags: ["identity"],
      summary: "Your API tokens (never their secrets)",
      ...g({ permission: "authenticated" }),
      request: { query: TokenQuery },
      responses: { 200: jsonResponse(z.array(TokenInfo), "Tokens, newest first"), ...errorResponses },
    }),
    async (c) => c.json(await s.identity.listTokens(callerOf(c), c.req.valid("query").all === "true"), 200),
  );
  api.openapi(
    createRoute({
      method: "post",
      path: "/tokens",
      tags: ["identity"],
      summary: "Create an API token, optionally limited to a tenant, one environment and a role",
      ...g({ permission: "authenticated" }),
      request: { body: jsonBody(CreateTokenRequest) },
      responses: {
        201: jsonResponse(IssuedToken, "Created; the secret is shown only now"),
        ...errorResponses,
      },
    }),
    async (c) => c.json(await s.identity.createToken(callerOf(c), c.req.valid("json")), 201),
  );
  api.openapi(
    createRoute({
      method: "delete",
      path: "/tokens/{id}",
      tags: ["identity"],
      summary: "Revoke a token; the very next request with it gets 401",
      ...g({ permission: "authenticated" }),
      request: { params: TokenParams },
      responses: { 200: jsonResponse(TokenInfo, "Revoked"), ...errorResponses },
    }),
    async (c) => c.json(await s.identity.revokeToken(callerOf(c), c.req.valid("param").id), 200),
  );
}
