import { Readable } from "node:stream";
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { RotateKeyRequest, RotateKeyResult } from "../../domain/admin.js";
import {
  AuditEntry,
  AuditExportQuery,
  AuditQuery,
  AuditVerifyQuery,
  AuditVerifyReport,
} from "../../domain/audit.js";
import { guards } from "../guard.js";
import { errorResponse, errors, jsonBody, jsonResponse, streamed } from "../responses.js";
import type { ApiServices } from "../services.js";

const tags = ["admin"];

export function registerAdminRoutes(api: OpenAPIHono, s: ApiServices): void {
  const g = guards(s.access);
  api.openapi(
    createRoute({
      method: "post",
      path: "/admin/rotate-key",
      operationId: "rotateKey",
      tags,
      summary: "Add a new encryption key and re-seal every secret, release and TLS key under it",
      ...g({ permission: "platform.admin" }),
      request: { body: jsonBody(RotateKeyRequest) },
      responses: {
        200: jsonResponse(RotateKeyResult, "Rotated"),
        ...errors(400, 401, 403, 413),
        422: errorResponse(
          "A stored secret cannot be opened (its key is not in the key ring, or it fails its integrity check); nothing was re-sealed",
        ),
      },
    }),
    async (c) => c.json(await s.admin.rotateKey(c.req.valid("json").prune), 200),
  );
  api.openapi(
    createRoute({
      method: "get",
      path: "/audit",
      operationId: "listAuditEntries",
      tags,
      summary:
        "The audit log: every mutating API call with actor, token, tenant, action, target, result and source",
      ...g({ permission: "tenant.manage", tenant: "query" }),
      request: { query: AuditQuery },
      responses: {
        200: jsonResponse(z.array(AuditEntry), "Entries, oldest first"),
        ...errors(400, 401, 403, 404),
      },
    }),
    async (c) => c.json(await s.audit.list(c.req.valid("query")), 200),
  );
  api.openapi(
    createRoute({
      method: "get",
      path: "/audit/export",
      operationId: "exportAuditLog",
      tags,
      summary: "The audit log as JSON lines, oldest first, with each row's hash chain, for a SIEM",
      ...g({ permission: "tenant.manage", tenant: "query" }),
      request: { query: AuditExportQuery },
      responses: {
        200: {
          description: "One AuditEntry (plus prevHash) per line",
          content: { "application/jsonl": { schema: z.string() } },
        },
        ...errors(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const lines = s.audit.export(c.req.valid("query"));
      return streamed(
        new Response(Readable.toWeb(Readable.from(lines)) as ReadableStream, {
          status: 200,
          headers: { "content-type": "application/jsonl; charset=utf-8", "cache-control": "no-store" },
        }),
      );
    },
  );
  api.openapi(
    createRoute({
      method: "get",
      path: "/audit/verify",
      operationId: "verifyAuditLog",
      tags,
      summary: "Walk the audit log's hash chain and report every row that was edited, inserted or deleted",
      ...g({ permission: "platform.admin" }),
      request: { query: AuditVerifyQuery },
      responses: {
        200: jsonResponse(AuditVerifyReport, "What the walk found; ok is false when anything does not fit"),
        ...errors(400, 401, 403),
      },
    }),
    async (c) => c.json(await s.audit.verify(c.req.valid("query").head), 200),
  );
  api.openapi(
    createRoute({
      method: "get",
      path: "/admin/backup",
      operationId: "backupDatabase",
      tags,
      summary: "A consistent copy of the database (secrets stay sealed; the key ring is not in it)",
      ...g({ permission: "platform.admin" }),
      responses: {
        200: {
          description: "SQLite database file",
          content: { "application/vnd.sqlite3": { schema: z.string().meta({ format: "binary" }) } },
        },
        400: errorResponse("The store is PostgreSQL: back it up with pg_dump"),
        ...errors(401, 403),
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
