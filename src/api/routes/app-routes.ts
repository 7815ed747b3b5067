import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { App, AppInfo, CreateAppRequest } from "../../domain/app.js";
import { EVERY_ENV } from "../../domain/roles.js";
import { guards, requireIn } from "../guard.js";
import { AppParams, TenantParams } from "../path-params.js";
import { errors, forbiddenOrOverQuota, jsonBody, jsonResponse } from "../responses.js";
import type { ApiServices } from "../services.js";

export function registerAppRoutes(api: OpenAPIHono, s: ApiServices): void {
  const g = guards(s.access);
  const may = requireIn(s.access);
  api.openapi(
    createRoute({
      method: "get",
      path: "/tenants/{tenant}/apps",
      operationId: "listApps",
      tags: ["apps"],
      summary: "The tenant's apps",
      ...g({ permission: "tenant.read", tenant: "path" }),
      request: { params: TenantParams },
      responses: { 200: jsonResponse(z.array(App), "Apps of the tenant"), ...errors(400, 401, 404) },
    }),
    async (c) => c.json(await s.apps.list(c.req.valid("param").tenant), 200),
  );
  api.openapi(
    createRoute({
      method: "post",
      path: "/tenants/{tenant}/apps",
      operationId: "createApp",
      tags: ["apps"],
      summary: "Create an app; it runs nowhere until deployed to an environment",
      ...g({ permission: "app.create", tenant: "path" }),
      request: { params: TenantParams, body: jsonBody(CreateAppRequest) },
      responses: {
        201: jsonResponse(App, "Created"),
        ...errors(400, 401, 404, 409, 413),
        403: forbiddenOrOverQuota,
      },
    }),
    async (c) => c.json(await s.apps.create(c.req.valid("param").tenant, c.req.valid("json").name), 201),
  );
  api.openapi(
    createRoute({
      method: "get",
      path: "/tenants/{tenant}/apps/{app}",
      operationId: "getApp",
      tags: ["apps"],
      summary: "An app and its deployment in each environment",
      ...g({ permission: "tenant.read", tenant: "path" }),
      request: { params: AppParams },
      responses: {
        200: jsonResponse(AppInfo, "The app and its deployment in each environment"),
        ...errors(400, 401, 404),
      },
    }),
    async (c) => {
      const { tenant, app } = c.req.valid("param");
      return c.json(await s.apps.info(tenant, app), 200);
    },
  );
  api.openapi(
    createRoute({
      method: "delete",
      path: "/tenants/{tenant}/apps/{app}",
      operationId: "deleteApp",
      tags: ["apps"],
      summary: "Delete an app from every environment, protected ones included",
      ...g({ permission: "app.delete", tenant: "path" }),
      request: { params: AppParams },
      responses: {
        204: { description: "Deleted; its containers are drained and removed" },
        ...errors(400, 401, 403, 404, 503),
      },
    }),
    async (c) => {
      const { tenant, app } = c.req.valid("param");
      // Deleting takes the app out of every environment, protected ones included.
      await may(c, "env.deploy", tenant, EVERY_ENV);
      await s.apps.delete(tenant, app);
      return c.body(null, 204);
    },
  );
}
