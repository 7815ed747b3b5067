import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { Link, LinkRequest } from "../../domain/link.js";
import { callerOf } from "../bearer-auth.js";
import { guards, requireIn } from "../guard.js";
import { AppEnvParams } from "../path-params.js";
import { errors, jsonBody, jsonResponse } from "../responses.js";
import type { ApiServices } from "../services.js";

const base = "/tenants/{tenant}/envs/{env}/apps/{app}/links";
const tags = ["links"];
const LinkParams = AppEnvParams.extend({
  id: z.coerce
    .number()
    .int()
    .min(1)
    .meta({ param: { name: "id", in: "path" } }),
});

export function registerLinkRoutes(api: OpenAPIHono, s: ApiServices): void {
  const g = guards(s.access);
  const may = requireIn(s.access);
  api.openapi(
    createRoute({
      method: "post",
      path: base,
      operationId: "addLink",
      tags,
      summary:
        "Let this app reach an app of another environment or tenant (both need deploy rights of the caller)",
      ...g({ permission: "env.deploy", tenant: "path", env: "path" }),
      request: { params: AppEnvParams, body: jsonBody(LinkRequest) },
      responses: { 201: jsonResponse(Link, "Linked"), ...errors(400, 401, 403, 404, 409, 413, 503) },
    }),
    async (c) => {
      const from = c.req.valid("param");
      const req = c.req.valid("json");
      const to = { tenant: req.tenant ?? from.tenant, env: req.env, app: req.app };
      await may(c, "env.deploy", to.tenant, to.env);
      return c.json(await s.links.add(from, to, callerOf(c).user), 201);
    },
  );
  api.openapi(
    createRoute({
      method: "get",
      path: base,
      operationId: "listLinks",
      tags,
      summary: "Links with this app at either end",
      ...g({ permission: "env.read", tenant: "path", env: "path" }),
      request: { params: AppEnvParams },
      responses: { 200: jsonResponse(z.array(Link), "Links"), ...errors(400, 401, 403, 404) },
    }),
    async (c) => c.json(await s.links.list(c.req.valid("param")), 200),
  );
  api.openapi(
    createRoute({
      method: "delete",
      path: `${base}/{id}`,
      operationId: "removeLink",
      tags,
      summary: "Cut a link; either end may",
      ...g({ permission: "env.deploy", tenant: "path", env: "path" }),
      request: { params: LinkParams },
      responses: { 204: { description: "Cut" }, ...errors(400, 401, 403, 404, 503) },
    }),
    async (c) => {
      const { id, ...end } = c.req.valid("param");
      await s.links.remove(end, id);
      return c.body(null, 204);
    },
  );
}
