import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { ExceptionKind, GrantRequest, PolicyException } from "../../domain/isolation.js";
import { callerOf } from "../bearer-auth.js";
import { guards } from "../guard.js";
import { TenantParams } from "../path-params.js";
import { errors, jsonBody, jsonResponse } from "../responses.js";
import type { ApiServices } from "../services.js";

const KindParams = TenantParams.extend({ kind: ExceptionKind.meta({ param: { name: "kind", in: "path" } }) });
const tags = ["policy"];
const base = "/tenants/{tenant}/exceptions";

export function registerPolicyRoutes(api: OpenAPIHono, s: ApiServices): void {
  const g = guards(s.access);
  api.openapi(
    createRoute({
      method: "get",
      path: base,
      operationId: "listExceptions",
      tags,
      summary: "The isolation exceptions a platform admin granted the tenant",
      ...g({ permission: "tenant.read", tenant: "path" }),
      request: { params: TenantParams },
      responses: { 200: jsonResponse(z.array(PolicyException), "Exceptions"), ...errors(400, 401, 404) },
    }),
    async (c) => c.json(await s.policy.list(c.req.valid("param").tenant), 200),
  );
  api.openapi(
    createRoute({
      method: "put",
      path: `${base}/{kind}`,
      operationId: "grantException",
      tags,
      summary: "Grant the tenant an exception to container isolation (privileged, host mounts, ...)",
      ...g({ permission: "platform.admin", tenant: "path" }),
      request: { params: KindParams, body: jsonBody(GrantRequest) },
      responses: { 200: jsonResponse(PolicyException, "Granted"), ...errors(400, 401, 403, 404, 413) },
    }),
    async (c) => {
      const { tenant, kind } = c.req.valid("param");
      const { values, reason } = c.req.valid("json");
      return c.json(await s.policy.grant(tenant, kind, values, reason, callerOf(c).user), 200);
    },
  );
  api.openapi(
    createRoute({
      method: "delete",
      path: `${base}/{kind}`,
      operationId: "revokeException",
      tags,
      summary: "Revoke an exception: the next release relying on it is refused",
      ...g({ permission: "platform.admin", tenant: "path" }),
      request: { params: KindParams },
      responses: {
        200: jsonResponse(
          z.object({
            kind: ExceptionKind,
            stillRunning: z
              .array(z.string())
              .meta({ description: "Deployments whose running release still relies on it; redeploy them" }),
          }),
          "Revoked",
        ),
        ...errors(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const { tenant, kind } = c.req.valid("param");
      return c.json(await s.policy.revoke(tenant, kind), 200);
    },
  );
}
