import { Readable } from "node:stream";
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { RotateKeyRequest, RotateKeyResult } from "../../domain/admin.js";
import { AuditEntry, AuditQuery } from "../../domain/audit.js";
import { guards } from "../guard.js";
import { errorResponses, jsonBody, jsonResponse, streamed } from "../responses.js";
import type { ApiServices } from "../services.js";

const tags = ["admin"];

export function registerAdminRoutes(api: OpenAPIHono, s: ApiServices): void {
  const g = guards(s.access);
  api.openapi(
    createRoute({
      method: "post",
      path: "/admin/rotate-key",
      tags,
      summary: "Add a new encryption key and re-seal every secret, release and TLS key under it",
      ...g({ permission: "platform.admin" }),
      request: { body: jsonBody(RotateKeyRequest) },
      responses: { 200: jsonResponse(RotateKeyResult, "Rotated"), ...errorResponses },
    }),
    async (c) => c.json(await s.admin.rotateKey(c.req.valid("json").prune), 200),
  );
  api.openapi(
    createRoute({
      method: "get",
      path: "/audit",
      tags,
      summary:
        "The audit log: every mutating API call with actor, token, tenant, action, target, result and source",
      ...g({ permission: "tenant.manage", tenant: "query" }),
      request: { query: AuditQuery },
      responses: { 200: jsonResponse(z.array(AuditEntry), "Entries, oldest first"), ...errorResponses },
    }),
    async (c) => c.json(await s.audit.list(c.req.valid("query")), 200),
  );
  api.openapi(
    createRoute({
      method: "get",
      path: "/admin/backup",
      tags,
      summary: "A consistent copy of the database (secrets stay sealed; the key ring is not in it)",
      ...g({ permission: "platform.admin" }),
      responses: {
        200: {
          description: "SQLite database file",
          content: { "application/vnd.sqlite3": { schema: z.string().meta({ format: "binary" }) } },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const stream = await s.admin.backup();
      return streamed(
        new Response(Readable.toWeb(stream) as ReadableStream, {
          status: 200,
          headers: { "content-type": "application/vnd.sqlite3", "cache-control": "no-store" },
        }),
      );
    },
  );
}
