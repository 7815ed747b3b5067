import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { CreateEnvironmentRequest, Environment } from "../../domain/environment.js";
import { CreateTenantRequest, Tenant } from "../../domain/tenant.js";
import { callerOf } from "../bearer-auth.js";
import { guards } from "../guard.js";
import { EnvParams, TenantParams } from "../path-params.js";
import { errorResponses, jsonBody, jsonResponse } from "../responses.js";
import type { ApiServices } from "../services.js";

export function registerTenantRoutes(api: OpenAPIHono, s: ApiServices): void {
  const g = guards(s.access);
  api.openapi(
    createRoute({
      method: "get",
      path: "/tenants",
      tags: ["tenants"],
      ...g({ permission: "authenticated" }),
      responses: { 200: jsonResponse(z.array(Tenant), "All tenants"), ...errorResponses },
    }),
    async (c) => {
      const visible = new Set((await s.access.visibleTenants(callerOf(c))).map((t) => t.name));
      return c.json(
        (await s.tenants.list()).filter((t) => visible.has(t.name)),
        200,
      );
    },
  );
  api.openapi(
    createRoute({
      method: "post",
      path: "/tenants",
      tags: ["tenants"],
      ...g({ permission: "platform.admin" }),
      request: { body: jsonBody(CreateTenantRequest) },
      responses: { 201: jsonResponse(Tenant, "Created"), ...errorResponses },
    }),
    async (c) => {
      const { name, owner } = c.req.valid("json");
      return c.json(await s.tenants.create(name, owner), 201);
    },
  );
  api.openapi(
    createRoute({
      method: "delete",
      path: "/tenants/{tenant}",
      tags: ["tenants"],
      ...g({ permission: "platform.admin", tenant: "path" }),
      request: { params: TenantParams },
      responses: { 204: { description: "Deleted" }, ...errorResponses },
    }),
    async (c) => {
      await s.tenants.delete(c.req.valid("param").tenant);
      return c.body(null, 204);
    },
  );
  api.openapi(
    createRoute({
      method: "get",
      path: "/tenants/{tenant}/envs",
      tags: ["environments"],
      ...g({ permission: "tenant.read", tenant: "path" }),
      request: { params: TenantParams },
      responses: { 200: jsonResponse(z.array(Environment), "Environments of the tenant"), ...errorResponses },
    }),
    async (c) => c.json(await s.environments.list(c.req.valid("param").tenant), 200),
  );
  api.openapi(
    createRoute({
      method: "post",
      path: "/tenants/{tenant}/envs",
      tags: ["environments"],
      ...g({ permission: "tenant.manage", tenant: "path" }),
      request: { params: TenantParams, body: jsonBody(CreateEnvironmentRequest) },
      responses: { 201: jsonResponse(Environment, "Created"), ...errorResponses },
    }),
    async (c) =>
      c.json(
        await s.environments.create(
          c.req.valid("param").tenant,
          c.req.valid("json").name,
          c.req.valid("json").cluster,
        ),
        201,
      ),
  );
  api.openapi(
    createRoute({
      method: "delete",
      path: "/tenants/{tenant}/envs/{env}",
      tags: ["environments"],
      ...g({ permission: "tenant.manage", tenant: "path" }),
      request: { params: EnvParams },
      responses: { 204: { description: "Deleted" }, ...errorResponses },
    }),
    async (c) => {
      const { tenant, env } = c.req.valid("param");
      await s.environments.delete(tenant, env);
      return c.body(null, 204);
    },
  );
}
