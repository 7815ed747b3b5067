import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { ProtectRequest } from "../../domain/environment.js";
import { Member, MemberRequest, UserName } from "../../domain/identity.js";
import { guards } from "../guard.js";
import { EnvParams, TenantParams } from "../path-params.js";
import { errors, jsonBody, jsonResponse } from "../responses.js";
import type { ApiServices } from "../services.js";

const MemberParams = TenantParams.extend({ user: UserName.meta({ param: { name: "user", in: "path" } }) });
const tags = ["members"];

export function registerMemberRoutes(api: OpenAPIHono, s: ApiServices): void {
  const g = guards(s.access);
  api.openapi(
    createRoute({
      method: "get",
      path: "/tenants/{tenant}/members",
      operationId: "listMembers",
      tags,
      summary: "The tenant's members and their roles",
      ...g({ permission: "tenant.read", tenant: "path" }),
      request: { params: TenantParams },
      responses: { 200: jsonResponse(z.array(Member), "Members and their roles"), ...errors(400, 401, 404) },
    }),
    async (c) => c.json(await s.members.list(c.req.valid("param").tenant), 200),
  );
  api.openapi(
    createRoute({
      method: "put",
      path: "/tenants/{tenant}/members",
      operationId: "putMember",
      tags,
      summary: "Add a member, or change a member's role",
      ...g({ permission: "tenant.manage", tenant: "path" }),
      request: { params: TenantParams, body: jsonBody(MemberRequest) },
      responses: { 200: jsonResponse(Member, "Member"), ...errors(400, 401, 403, 404, 409, 413) },
    }),
    async (c) => {
      const { user, role } = c.req.valid("json");
      return c.json(await s.members.put(c.req.valid("param").tenant, user, role), 200);
    },
  );
  api.openapi(
    createRoute({
      method: "delete",
      path: "/tenants/{tenant}/members/{user}",
      operationId: "removeMember",
      tags,
      summary: "Remove a member; the tenant keeps at least one owner",
      ...g({ permission: "tenant.manage", tenant: "path" }),
      request: { params: MemberParams },
      responses: { 204: { description: "Removed" }, ...errors(400, 401, 403, 404, 409) },
    }),
    async (c) => {
      const { tenant, user } = c.req.valid("param");
      await s.members.remove(tenant, user);
      return c.body(null, 204);
    },
  );
  api.openapi(
    createRoute({
      method: "put",
      path: "/tenants/{tenant}/envs/{env}/protection",
      operationId: "protectEnv",
      tags: ["environments"],
      summary:
        "Protect an environment: only this role and stronger may deploy, change config or read secrets",
      ...g({ permission: "tenant.manage", tenant: "path" }),
      request: { params: EnvParams, body: jsonBody(ProtectRequest) },
      responses: { 204: { description: "Protected" }, ...errors(400, 401, 403, 404, 413) },
    }),
    async (c) => {
      const { tenant, env } = c.req.valid("param");
      await s.members.protect(tenant, env, c.req.valid("json").minRole);
      return c.body(null, 204);
    },
  );
  api.openapi(
    createRoute({
      method: "delete",
      path: "/tenants/{tenant}/envs/{env}/protection",
      operationId: "unprotectEnv",
      tags: ["environments"],
      summary: "Unprotect an environment: developers deploy there again",
      ...g({ permission: "tenant.manage", tenant: "path" }),
      request: { params: EnvParams },
      responses: { 204: { description: "Unprotected" }, ...errors(400, 401, 403, 404) },
    }),
    async (c) => {
      const { tenant, env } = c.req.valid("param");
      await s.members.protect(tenant, env, null);
      return c.body(null, 204);
    },
  );
}
