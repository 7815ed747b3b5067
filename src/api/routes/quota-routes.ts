import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { QuotaReport, QuotaRequest } from "../../domain/quota.js";
import { guards, requireIn } from "../guard.js";
import { TenantParams } from "../path-params.js";
import { errors, jsonBody, jsonResponse } from "../responses.js";
import type { ApiServices } from "../services.js";

export function registerQuotaRoutes(api: OpenAPIHono, s: ApiServices): void {
  const g = guards(s.access);
  const may = requireIn(s.access);
  api.openapi(
    createRoute({
      method: "get",
      path: "/tenants/{tenant}/quota",
      operationId: "getQuota",
      tags: ["quotas"],
      summary: "Limits and current use, for the tenant and each environment",
      ...g({ permission: "tenant.read", tenant: "path" }),
      request: { params: TenantParams },
      responses: { 200: jsonResponse(QuotaReport, "Quota"), ...errors(400, 401, 404) },
    }),
    async (c) => c.json(await s.quotas.show(c.req.valid("param").tenant), 200),
  );
  api.openapi(
    createRoute({
      method: "put",
      path: "/tenants/{tenant}/quota",
      operationId: "setQuota",
      tags: ["quotas"],
      summary:
        "Set limits: the tenant's (platform admins) or one environment's, within the tenant's (owners)",
      ...g({ permission: "tenant.manage", tenant: "path", env: "body" }),
      request: { params: TenantParams, body: jsonBody(QuotaRequest) },
      responses: { 200: jsonResponse(QuotaReport, "Quota as set"), ...errors(400, 401, 403, 404, 413) },
    }),
    async (c) => {
      const { tenant } = c.req.valid("param");
      const req = c.req.valid("json");
      if (req.env === undefined) await may(c, "platform.admin", tenant);
      return c.json(await s.quotas.set(tenant, req), 200);
    },
  );
}
