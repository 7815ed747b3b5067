import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { EnvName, TenantName } from "../../domain/dns-label.js";
import { ApplyRequest, ApplyResult, Manifest, ManifestFile } from "../../domain/manifest.js";
import { EVERY_ENV } from "../../domain/roles.js";
import { callerOf } from "../bearer-auth.js";
import { type Access, guards, requireIn } from "../guard.js";
import { errors, forbiddenOrOverQuota, jsonBody, jsonResponse } from "../responses.js";
import type { ApiServices } from "../services.js";

const tags = ["manifests"];

const ExportQuery = z.object({
  tenant: TenantName.meta({ param: { name: "tenant", in: "query" } }),
  env: EnvName.optional().meta({ param: { name: "env", in: "query" } }),
});

export function registerManifestRoutes(api: OpenAPIHono, s: ApiServices): void {
  const g = guards(s.access);
  const may = requireIn(s.access);
  api.openapi(
    createRoute({
      method: "post",
      path: "/apply",
      operationId: "applyManifest",
      tags,
      summary: "Make a tenant match a berth.yaml manifest; with dryRun, only say what would change",
      ...g({ permission: "env.deploy", tenant: "body", env: "body" }),
      request: { body: jsonBody(ApplyRequest) },
      responses: {
        200: jsonResponse(ApplyResult, "Applied (or planned)"),
        ...errors(400, 401, 404, 409, 413, 503),
        403: forbiddenOrOverQuota,
      },
    }),
    async (c) => {
      const { manifest, dryRun } = c.req.valid("json");
      await s.access.requireManifest(callerOf(c), manifest);
      return c.json(await s.manifests.apply(manifest, dryRun), 200);
    },
  );
  api.openapi(
    createRoute({
      method: "get",
      path: "/export",
      operationId: "exportManifest",
      tags,
      summary: "A tenant as a berth.yaml manifest; secrets appear as 'keep', never as values",
      ...g({ permission: "tenant.read", tenant: "query", env: "query" }),
      request: { query: ExportQuery },
      responses: { 200: jsonResponse(Manifest, "Manifest"), ...errors(400, 401, 403, 404) },
    }),
    async (c) => {
      const { tenant, env } = c.req.valid("query");
      await may(c, "env.read", tenant, env ?? EVERY_ENV);
      return c.json(await s.manifests.export(tenant, env), 200);
    },
  );
  api.openapi(
    createRoute({
      method: "get",
      path: "/schemas/berth.yaml.json",
      operationId: "getManifestSchema",
      tags,
      summary: "The JSON Schema of berth.yaml, for editors and CI checks",
      security: [],
      "x-berth-access": { permission: "public" } satisfies Access,
      responses: {
        200: { description: "JSON Schema", content: { "application/json": { schema: z.object({}) } } },
      },
    }),
    (c) => c.json(z.toJSONSchema(ManifestFile, { target: "draft-2020-12", io: "input" }) as object, 200),
  );
}
