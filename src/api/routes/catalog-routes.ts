import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { CapabilityId } from "../../domain/capability-module.js";
import { TenantName } from "../../domain/dns-label.js";
import {
  AddModuleRequest,
  AddModuleResult,
  CatalogDetail,
  CatalogEntry,
} from "../../domain/service-instance.js";
import { callerOf } from "../bearer-auth.js";
import { guards, requireIn } from "../guard.js";
import { errors, jsonBody, jsonResponse } from "../responses.js";
import type { ApiServices } from "../services.js";

const tags = ["catalog"];
const TenantQuery = z.object({
  tenant: TenantName.optional().meta({
    param: { name: "tenant", in: "query" },
    description:
      "What this tenant may use: everyone's modules and its own (absent: everyone's, platform admins)",
  }),
});
const CapabilityParams = z.object({
  capability: CapabilityId.meta({ param: { name: "capability", in: "path" } }),
});

export function registerCatalogRoutes(api: OpenAPIHono, s: ApiServices): void {
  const g = guards(s.access);
  const may = requireIn(s.access);
  api.openapi(
    createRoute({
      method: "get",
      path: "/catalog",
      operationId: "listCatalog",
      tags,
      summary: "Capabilities a tenant may provision: name, versions, plans, maturity",
      ...g({ permission: "tenant.read", tenant: "query" }),
      request: { query: TenantQuery },
      responses: {
        200: jsonResponse(z.array(CatalogEntry), "One entry per capability"),
        ...errors(400, 401, 403, 404),
      },
    }),
    async (c) => c.json(await s.catalog.list(c.req.valid("query").tenant), 200),
  );
  api.openapi(
    createRoute({
      method: "get",
      path: "/catalog/{capability}",
      operationId: "getCapability",
      tags,
      summary: "A capability: plans, parameters (JSON Schema), what a binding holds, backup method, upgrades",
      ...g({ permission: "tenant.read", tenant: "query" }),
      request: { params: CapabilityParams, query: TenantQuery },
      responses: {
        200: jsonResponse(CatalogDetail, "The capability's newest version"),
        ...errors(400, 401, 403, 404),
      },
    }),
    async (c) =>
      c.json(await s.catalog.show(c.req.valid("query").tenant, c.req.valid("param").capability), 200),
  );
  api.openapi(
    createRoute({
      method: "post",
      path: "/catalog",
      operationId: "addModule",
      tags,
      summary:
        "Add a capability module version (its folder's files): linted, its images built, then stored; for every tenant (platform admins) or one (its owners)",
      ...g({ permission: "tenant.manage", tenant: "body" }),
      request: { body: jsonBody(AddModuleRequest) },
      responses: {
        201: jsonResponse(AddModuleResult, "Added"),
        200: jsonResponse(AddModuleResult, "This very version was already in the catalog"),
        ...errors(400, 401, 403, 404, 409, 413, 422),
      },
    }),
    async (c) => {
      const body = c.req.valid("json");
      if (body.tenant === undefined) await s.access.require(callerOf(c), "platform.admin");
      else await may(c, "tenant.manage", body.tenant);
      const files = body.files.map((f) => ({
        path: f.path,
        mode: f.mode,
        data: Buffer.from(f.data, "base64"),
      }));
      const r = await s.catalog.add(files, {
        tenant: body.tenant,
        source: body.source,
        by: callerOf(c).user,
      });
      const result = {
        capability: r.record.capability,
        version: r.record.version,
        scope: r.record.tenantId === 0 ? ("platform" as const) : ("tenant" as const),
        added: r.added,
        images: r.images,
      };
      return r.added ? c.json(result, 201) : c.json(result, 200);
    },
  );
}
