import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { Canary, CanaryRulesPatch, CanaryStartRequest, CanaryStatus } from "../../domain/canary.js";
import { guards } from "../guard.js";
import { AppEnvParams } from "../path-params.js";
import { errorResponses, jsonBody, jsonResponse } from "../responses.js";
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
      tags,
      summary: "Start a canary (or blue-green) release beside the serving one",
      ...g({ permission: "env.deploy", tenant: "path", env: "path" }),
      request: { params: AppEnvParams, body: jsonBody(CanaryStartRequest) },
      responses: { 202: jsonResponse(CanaryOutcome, "Canary starting"), ...errorResponses },
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
      tags,
      summary: "The canary's rules, step and per-release traffic",
      ...g({ permission: "env.read", tenant: "path", env: "path" }),
      request: { params: AppEnvParams, query: StatusQuery },
      responses: { 200: jsonResponse(CanaryStatus, "Canary status"), ...errorResponses },
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
      tags,
      summary: "Change the active canary's rules; answers once the router serves them",
      ...g({ permission: "env.deploy", tenant: "path", env: "path" }),
      request: { params: AppEnvParams, body: jsonBody(CanaryRulesPatch) },
      responses: { 200: jsonResponse(Canary, "Rules live"), ...errorResponses },
    }),
    async (c) => {
      const { tenant, env, app } = c.req.valid("param");
      return c.json(await s.canaries.updateRules(tenant, env, app, c.req.valid("json")), 200);
    },
  );
  for (const [verb, summary] of [
    ["promote", "Make the canary the serving release (a rolling update with no failed request)"],
    ["abort", "Send all traffic back to the stable release and retire the canary"],
  ] as const) {
    api.openapi(
      createRoute({
        method: "post",
        path: `${base}/${verb}`,
        tags,
        summary,
        ...g({ permission: "env.deploy", tenant: "path", env: "path" }),
        request: { params: AppEnvParams },
        responses: { 202: jsonResponse(CanaryOutcome, "Accepted"), ...errorResponses },
      }),
      async (c) => {
        const { tenant, env, app } = c.req.valid("param");
        return c.json(await s.canaries[verb](tenant, env, app), 202);
      },
    );
  }
}
