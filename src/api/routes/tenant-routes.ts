import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { CreateEnvironmentRequest, Environment } from "../../domain/environment.js";
import { CreateTenantRequest, Tenant } from "../../domain/tenant.js";
import { callerOf } from "../bearer-auth.js";
import { guards } from "../guard.js";
import { EnvParams, TenantParams } from "../path-params.js";
import { errors, jsonBody, jsonResponse } from "../responses.js";
import type { ApiServices } from "../services.js";

export function registerTenantRoutes(api: OpenAPIHono, s: ApiServices): void {
  const g = guards(s.access);
  api.openapi(
    createRoute({
      method: "get",
      path: "/tenants",
      operationId: "listTenants",
      tags: ["tenants"],
      summary: "The tenants the caller may see",
      ...g({ permission: "authenticated" }),
      responses: { 200: jsonResponse(z.array(Tenant), "All tenants"), ...errors(401) },
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
      operationId: "createTenant",
      tags: ["tenants"],
      summary: "Create a tenant, optionally with an owner",
      ...g({ permission: "platform.admin" }),
      request: { body: jsonBody(CreateTenantRequest) },
      responses: { 201: jsonResponse(Tenant, "Created"), ...errors(400, 401, 403, 404, 409, 413) },
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
      operationId: "deleteTenant",
      tags: ["tenants"],
      summary: "Delete a tenant that has no apps left",
      ...g({ permission: "platform.admin", tenant: "path" }),
      request: { params: TenantParams },
      responses: { 204: { description: "Deleted" }, ...errors(400, 401, 403, 404, 409) },
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
      operationId: "listEnvs",
      tags: ["environments"],
      summary: "The tenant's environments, with their protection and cluster",
      ...g({ permission: "tenant.read", tenant: "path" }),
      request: { params: TenantParams },
      responses: {
        200: jsonResponse(z.array(Environment), "Environments of the tenant"),
        ...errors(400, 401, 404),
      },
    }),
    async (c) => c.json(await s.environments.list(c.req.valid("param").tenant), 200),
  );
  api.openapi(
    createRoute({
      method: "post",
      path: "/tenants/{tenant}/envs",
      operationId: "createEnv",
      tags: ["environments"],
      summary: "Create an environment, on the local engine or on a registered cluster",
      ...g({ permission: "tenant.manage", tenant: "path" }),
      request: { params: TenantParams, body: jsonBody(CreateEnvironmentRequest) },
      responses: { 201: jsonResponse(Environment, "Created"), ...errors(400, 401, 403, 404, 409, 413) },
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
      operationId: "deleteEnv",
      tags: ["environments"],
      summary: "Delete an environment that has no apps deployed",
      ...g({ permission: "tenant.manage", tenant: "path" }),
      request: { params: EnvParams },
      responses: { 204: { description: "Deleted" }, ...errors(400, 401, 403, 404, 409) },
    }),
    async (c) => {
      const { tenant, env } = c.req.valid("param");
      await s.environments.delete(tenant, env);
      return c.body(null, 204);
    },
  );
}
