import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { Burst, BurstRequest } from "../../domain/burst.js";
import { guards } from "../guard.js";
import { AppEnvParams } from "../path-params.js";
import { errors, jsonBody, jsonResponse } from "../responses.js";
import type { ApiServices } from "../services.js";

const path = "/tenants/{tenant}/envs/{env}/apps/{app}/burst";
const tags = ["burst"];

export function registerBurstRoutes(api: OpenAPIHono, s: ApiServices): void {
  const g = guards(s.access);
  api.openapi(
    createRoute({
      method: "put",
      path,
      operationId: "setBurst",
      tags,
      summary: "Prefer one node pool and overflow to another when it is full (hybrid-cloud burst)",
      ...g({ permission: "env.deploy", tenant: "path", env: "path" }),
      request: { params: AppEnvParams, body: jsonBody(BurstRequest) },
      responses: { 200: jsonResponse(Burst, "The policy"), ...errors(400, 401, 403, 404, 413, 503) },
    }),
    async (c) => c.json(await s.bursts.set(c.req.valid("param"), c.req.valid("json")), 200),
  );
  api.openapi(
    createRoute({
      method: "get",
      path,
      operationId: "getBurst",
      tags,
      summary: "The app's burst policy in this environment",
      ...g({ permission: "env.read", tenant: "path", env: "path" }),
      request: { params: AppEnvParams },
      responses: { 200: jsonResponse(Burst, "The policy"), ...errors(400, 401, 403, 404) },
    }),
    async (c) => c.json(await s.bursts.show(c.req.valid("param")), 200),
  );
  api.openapi(
    createRoute({
      method: "delete",
      path,
      operationId: "clearBurst",
      tags,
      summary: "Stop bursting; overflow replicas come back to the preferred pool as they fit",
      ...g({ permission: "env.deploy", tenant: "path", env: "path" }),
      request: { params: AppEnvParams },
      responses: { 204: { description: "Cleared" }, ...errors(400, 401, 403, 404, 503) },
    }),
    async (c) => {
      await s.bursts.clear(c.req.valid("param"));
      return c.body(null, 204);
    },
  );
}
