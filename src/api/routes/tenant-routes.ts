import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { CreateEnvironmentRequest, Environment } from "../../domain/environment.js";
import { CreateTenantRequest, Tenant } from "../../domain/tenant.js";
import { EnvParams, TenantParams } from "../path-params.js";
import { errorResponses, jsonBody, jsonResponse } from "../responses.js";
import type { ApiServices } from "../services.js";

const security = [{ bearer: [] }];

export function registerTenantRoutes(api: OpenAPIHono, s: ApiServices): void {
  api.openapi(
    createRoute({
      method: "get",
      path: "/tenants",
      tags: ["tenants"],
      security,
      responses: { 200: jsonResponse(z.array(Tenant), "All tenants"), ...errorResponses },
    }),
    async (c) => c.json(await s.tenants.list(), 200),
  );
  api.openapi(
    createRoute({
      method: "post",
      path: "/tenants",
      tags: ["tenants"],
      security,
      request: { body: jsonBody(CreateTenantRequest) },
      responses: { 201: jsonResponse(Tenant, "Created"), ...errorResponses },
    }),
    async (c) => c.json(await s.tenants.create(c.req.valid("json").name), 201),
  );
  api.openapi(
    createRoute({
      method: "delete",
      path: "/tenants/{tenant}",
      tags: ["tenants"],
      security,
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
      security,
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
      security,
      request: { params: TenantParams, body: jsonBody(CreateEnvironmentRequest) },
      responses: { 201: jsonResponse(Environment, "Created"), ...errorResponses },
    }),
    async (c) =>
      c.json(await s.environments.create(c.req.valid("param").tenant, c.req.valid("json").name), 201),
  );
  api.openapi(
    createRoute({
      method: "delete",
      path: "/tenants/{tenant}/envs/{env}",
      tags: ["environments"],
      security,
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
