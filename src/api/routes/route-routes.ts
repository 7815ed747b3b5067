import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { AppRoute, AppRouteRequest } from "../../domain/app-route.js";
import { guards } from "../guard.js";
import { AppEnvParams } from "../path-params.js";
import { errors, jsonBody, jsonResponse } from "../responses.js";
import type { ApiServices } from "../services.js";

const base = "/tenants/{tenant}/envs/{env}/apps/{app}/routes";
const tags = ["routes"];

const RouteIdParams = AppEnvParams.extend({
  id: z.coerce
    .number()
    .int()
    .min(1)
    .meta({ param: { name: "id", in: "path" } }),
});

export function registerRouteRoutes(api: OpenAPIHono, s: ApiServices): void {
  const g = guards(s.access);
  api.openapi(
    createRoute({
      method: "post",
      path: base,
      operationId: "addRoute",
      tags,
      summary: "Serve the app at another host and path, optionally over HTTPS; answers once live",
      ...g({ permission: "env.deploy", tenant: "path", env: "path" }),
      request: { params: AppEnvParams, body: jsonBody(AppRouteRequest) },
      responses: { 201: jsonResponse(AppRoute, "Route live"), ...errors(400, 401, 403, 404, 409, 413, 503) },
    }),
    async (c) => {
      const { tenant, env, app } = c.req.valid("param");
      return c.json(await s.routes.add(tenant, env, app, c.req.valid("json")), 201);
    },
  );
  api.openapi(
    createRoute({
      method: "get",
      path: base,
      operationId: "listRoutes",
      tags,
      summary: "The app's custom routes",
      ...g({ permission: "env.read", tenant: "path", env: "path" }),
      request: { params: AppEnvParams },
      responses: { 200: jsonResponse(z.array(AppRoute), "Routes"), ...errors(400, 401, 403, 404) },
    }),
    async (c) => {
      const { tenant, env, app } = c.req.valid("param");
      return c.json(await s.routes.list(tenant, env, app), 200);
    },
  );
  api.openapi(
    createRoute({
      method: "delete",
      path: `${base}/{id}`,
      operationId: "removeRoute",
      tags,
      summary: "Stop serving the app at a custom route; answers once live",
      ...g({ permission: "env.deploy", tenant: "path", env: "path" }),
      request: { params: RouteIdParams },
      responses: { 204: { description: "Removed" }, ...errors(400, 401, 403, 404, 503) },
    }),
    async (c) => {
      const { tenant, env, app, id } = c.req.valid("param");
      await s.routes.remove(tenant, env, app, id);
      return c.body(null, 204);
    },
  );
  api.openapi(
    createRoute({
      method: "get",
      path: "/tls/ca",
      operationId: "getCaCertificate",
      tags,
      summary: "The certificate of Berth's internal CA, for clients to trust",
      ...g({ permission: "authenticated" }),
      responses: {
        200: { description: "PEM", content: { "text/plain": { schema: z.string() } } },
        ...errors(401),
      },
    }),
    (c) => c.text(s.routes.caCertPem(), 200),
  );
}
