import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { Canary, CanaryRulesPatch, CanaryStartRequest, CanaryStatus } from "../../domain/canary.js";
import { guards } from "../guard.js";
import { AppEnvParams } from "../path-params.js";
import { errorResponses, errors, forbiddenOrOverQuota, jsonBody, jsonResponse } from "../responses.js";
import type { ApiServices } from "../services.js";

const base = "/tenants/{tenant}/envs/{env}/apps/{app}/canary";
const tags = ["canary"];

const CanaryOutcome = z
  .object({ canary: Canary, eventCursor: z.number().int() })
  .meta({ id: "CanaryOutcome" });

const StatusQuery = z.object({
  window: z.coerce
    .number()
    .int()
    .min(5)
    .max(3600)
    .default(60)
    .meta({ param: { name: "window", in: "query" }, description: "Seconds of traffic to summarise" }),
});

export function registerCanaryRoutes(api: OpenAPIHono, s: ApiServices): void {
  const g = guards(s.access);
  api.openapi(
    createRoute({
      method: "post",
      path: base,
      operationId: "startCanary",
      tags,
      summary: "Start a canary (or blue-green) release beside the serving one",
      ...g({ permission: "env.deploy", tenant: "path", env: "path" }),
      request: { params: AppEnvParams, body: jsonBody(CanaryStartRequest) },
      responses: {
        202: jsonResponse(CanaryOutcome, "Canary starting"),
        ...errors(400, 401, 404, 409, 413, 503),
        403: forbiddenOrOverQuota,
      },
    }),
    async (c) => {
      const { tenant, env, app } = c.req.valid("param");
      return c.json(await s.canaries.start(tenant, env, app, c.req.valid("json")), 202);
    },
  );
  api.openapi(
    createRoute({
      method: "get",
      path: base,
      operationId: "getCanaryStatus",
      tags,
      summary: "The canary's rules, step and per-release traffic",
      ...g({ permission: "env.read", tenant: "path", env: "path" }),
      request: { params: AppEnvParams, query: StatusQuery },
      responses: { 200: jsonResponse(CanaryStatus, "Canary status"), ...errors(400, 401, 403, 404) },
    }),
    async (c) => {
      const { tenant, env, app } = c.req.valid("param");
      return c.json(await s.canaries.status(tenant, env, app, c.req.valid("query").window), 200);
    },
  );
  api.openapi(
    createRoute({
      method: "patch",
      path: `${base}/rules`,
      operationId: "updateCanaryRules",
      tags,
      summary: "Change the active canary's rules; answers once the router serves them",
      ...g({ permission: "env.deploy", tenant: "path", env: "path" }),
      request: { params: AppEnvParams, body: jsonBody(CanaryRulesPatch) },
      responses: { 200: jsonResponse(Canary, "Rules live"), ...errors(400, 401, 403, 404, 409, 413, 503) },
    }),
    async (c) => {
      const { tenant, env, app } = c.req.valid("param");
      return c.json(await s.canaries.updateRules(tenant, env, app, c.req.valid("json")), 200);
    },
  );
  // Promoting runs the canary's release at full scale, so quotas and the isolation policy judge it again.
  for (const [verb, operationId, summary, refused] of [
    [
      "promote",
      "promoteCanary",
      "Make the canary the serving release (a rolling update with no failed request)",
      forbiddenOrOverQuota,
    ],
    [
      "abort",
      "abortCanary",
      "Send all traffic back to the stable release and retire the canary",
      errorResponses[403],
    ],
  ] as const) {
    api.openapi(
      createRoute({
        method: "post",
        path: `${base}/${verb}`,
        operationId,
        tags,
        summary,
        ...g({ permission: "env.deploy", tenant: "path", env: "path" }),
        request: { params: AppEnvParams },
        responses: {
          202: jsonResponse(CanaryOutcome, "Accepted"),
          ...errors(400, 401, 404, 409, 503),
          403: refused,
        },
      }),
      async (c) => {
        const { tenant, env, app } = c.req.valid("param");
        return c.json(await s.canaries[verb](tenant, env, app), 202);
      },
    );
  }
}
