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
import { errorResponse, errors, jsonBody, jsonResponse } from "../responses.js";
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
      operationId: "login",
      tags: ["identity"],
      summary: "Sign in: trade a user name and password for an API token",
      security: [],
      "x-berth-access": { permission: "public" } satisfies Access,
      request: { body: jsonBody(LoginRequest) },
      responses: {
        201: jsonResponse(IssuedToken, "Signed in"),
        ...errors(400, 413),
        401: errorResponse("Wrong user name or password"),
        429: errorResponse("Too many failed sign-ins; wait and try again"),
      },
    }),
    async (c) => c.json(await s.identity.login(c.req.valid("json"), sourceOf(c)), 201),
  );
  api.openapi(
    createRoute({
      method: "get",
      path: "/whoami",
      operationId: "whoami",
      tags: ["identity"],
      summary: "The user and token of this request, and the tenants it reaches",
      ...g({ permission: "authenticated" }),
      responses: { 200: jsonResponse(WhoAmI, "You"), ...errors(401) },
    }),
    async (c) => c.json(await s.identity.whoami(callerOf(c)), 200),
  );

  api.openapi(
    createRoute({
      method: "get",
      path: "/users",
      operationId: "listUsers",
      tags: ["identity"],
      summary: "Every user, with their tenants and roles",
      ...g({ permission: "platform.admin" }),
      responses: { 200: jsonResponse(z.array(User), "Every user"), ...errors(401, 403) },
    }),
    async (c) => c.json(await s.identity.listUsers(), 200),
  );
  api.openapi(
    createRoute({
      method: "post",
      path: "/users",
      operationId: "createUser",
      tags: ["identity"],
      summary: "Create a local user (password hashed with scrypt)",
      ...g({ permission: "platform.admin" }),
      request: { body: jsonBody(CreateUserRequest) },
      responses: { 201: jsonResponse(User, "Created"), ...errors(400, 401, 403, 409, 413) },
    }),
    async (c) => c.json(await s.identity.createUser(c.req.valid("json")), 201),
  );
  api.openapi(
    createRoute({
      method: "delete",
      path: "/users/{user}",
      operationId: "deleteUser",
      tags: ["identity"],
      summary: "Delete a user; their memberships and tokens go with them",
      ...g({ permission: "platform.admin" }),
      request: { params: UserParams },
      responses: { 204: { description: "Deleted" }, ...errors(400, 401, 403, 404, 409) },
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
      operationId: "setPassword",
      tags: ["identity"],
      summary: "Set a password: your own, or anyone's as a platform admin",
      ...g({ permission: "self" }),
      request: { params: UserParams, body: jsonBody(SetPasswordRequest) },
      responses: { 204: { description: "Set" }, ...errors(400, 401, 403, 404, 413) },
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
      operationId: "listTokens",
      tags: ["identity"],
      summary: "Your API tokens (never their secrets)",
      ...g({ permission: "authenticated" }),
      request: { query: TokenQuery },
      responses: { 200: jsonResponse(z.array(TokenInfo), "Tokens, newest first"), ...errors(400, 401, 403) },
    }),
    async (c) => c.json(await s.identity.listTokens(callerOf(c), c.req.valid("query").all === "true"), 200),
  );
  api.openapi(
    createRoute({
      method: "post",
      path: "/tokens",
      operationId: "createToken",
      tags: ["identity"],
      summary: "Create an API token, optionally limited to a tenant, one environment and a role",
      ...g({ permission: "authenticated" }),
      request: { body: jsonBody(CreateTokenRequest) },
      responses: {
        201: jsonResponse(IssuedToken, "Created; the secret is shown only now"),
        ...errors(400, 401, 403, 404, 413),
      },
    }),
    async (c) => c.json(await s.identity.createToken(callerOf(c), c.req.valid("json")), 201),
  );
  api.openapi(
    createRoute({
      method: "delete",
      path: "/tokens/{id}",
      operationId: "revokeToken",
      tags: ["identity"],
      summary: "Revoke a token; the very next request with it gets 401",
      ...g({ permission: "authenticated" }),
      request: { params: TokenParams },
      responses: { 200: jsonResponse(TokenInfo, "Revoked"), ...errors(400, 401, 404) },
    }),
    async (c) => c.json(await s.identity.revokeToken(callerOf(c), c.req.valid("param").id), 200),
  );
}
