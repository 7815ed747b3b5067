import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import {
  ConfigChangeRequest,
  ConfigChangeResult,
  ConfigDiff,
  ConfigFileRemoveRequest,
  ConfigFileRequest,
  ConfigListing,
  ConfigScope,
} from "../../domain/config.js";
import { AppName, EnvName } from "../../domain/dns-label.js";
import { EVERY_ENV } from "../../domain/roles.js";
import { SettingsListing, SettingsPatch } from "../../domain/settings.js";
import { guards, requireIn } from "../guard.js";
import { AppEnvParams, TenantParams } from "../path-params.js";
import { errors, forbiddenOrOverQuota, jsonBody, jsonResponse } from "../responses.js";
import type { ApiServices } from "../services.js";

const tags = ["config"];
const query = <T extends z.ZodType>(schema: T, name: string) => schema.meta({ param: { name, in: "query" } });
const flag = (name: string) =>
  query(z.enum(["true", "false", "1", "0"]).default("false"), name).transform(
    (v) => v === "true" || v === "1",
  );

const ScopeQuery = z.object({
  app: query(AppName.optional(), "app"),
  env: query(EnvName.optional(), "env"),
  showSecrets: flag("showSecrets"),
});
const DiffQuery = z.object({
  from: query(z.coerce.number().int().min(1).optional(), "from"),
  to: query(z.coerce.number().int().min(1).optional(), "to"),
  showSecrets: flag("showSecrets"),
});
const SettingsRequest = ConfigScope.extend({ settings: SettingsPatch, stage: z.boolean().optional() }).meta({
  id: "SettingsRequest",
});
const SettingsQuery = z.object({ app: query(AppName, "app"), env: query(EnvName, "env") });
/** A layer change re-resolves and rolls every deployment it reaches, as a deploy does. */
const changeErrors = { ...errors(400, 401, 404, 409, 413, 503), 403: forbiddenOrOverQuota };

export function registerConfigRoutes(api: OpenAPIHono, s: ApiServices): void {
  const g = guards(s.access);
  const may = requireIn(s.access);
  api.openapi(
    createRoute({
      method: "patch",
      path: "/tenants/{tenant}/config",
      operationId: "changeConfig",
      tags,
      summary: "Set, seal or unset values in one layer; every deployment it reaches rolls out a new release",
      ...g({ permission: "env.deploy", tenant: "path", env: "body" }),
      request: { params: TenantParams, body: jsonBody(ConfigChangeRequest) },
      responses: { 200: jsonResponse(ConfigChangeResult, "Changed"), ...changeErrors },
    }),
    async (c) => {
      const { tenant } = c.req.valid("param");
      const req = c.req.valid("json");
      await may(c, "env.deploy", tenant, req.env ?? EVERY_ENV);
      return c.json(await s.config.change(tenant, req), 200);
    },
  );
  api.openapi(
    createRoute({
      method: "get",
      path: "/tenants/{tenant}/config",
      operationId: "listConfig",
      tags,
      summary: "One layer's values, or with app and env the effective values with the layer each came from",
      ...g({ permission: "tenant.read", tenant: "path", env: "query" }),
      request: { params: TenantParams, query: ScopeQuery },
      responses: { 200: jsonResponse(ConfigListing, "Config"), ...errors(400, 401, 403, 404) },
    }),
    async (c) => {
      const { tenant } = c.req.valid("param");
      const { app, env, showSecrets } = c.req.valid("query");
      await may(c, showSecrets ? "env.secrets" : "env.read", tenant, env ?? EVERY_ENV);
      return c.json(await s.config.list(tenant, { app, env }, showSecrets), 200);
    },
  );
  api.openapi(
    createRoute({
      method: "put",
      path: "/tenants/{tenant}/config/files",
      operationId: "putConfigFile",
      tags,
      summary: "Set a config file (a template) mounted read-only into the app's containers",
      ...g({ permission: "env.deploy", tenant: "path", env: "body" }),
      request: { params: TenantParams, body: jsonBody(ConfigFileRequest) },
      responses: { 200: jsonResponse(ConfigChangeResult, "Changed"), ...changeErrors },
    }),
    async (c) => {
      const { tenant } = c.req.valid("param");
      const req = c.req.valid("json");
      await may(c, "env.deploy", tenant, req.env ?? EVERY_ENV);
      return c.json(await s.config.putFile(tenant, req), 200);
    },
  );
  api.openapi(
    createRoute({
      method: "post",
      path: "/tenants/{tenant}/config/files/remove",
      operationId: "removeConfigFile",
      tags,
      summary: "Remove a config file from one layer",
      ...g({ permission: "env.deploy", tenant: "path", env: "body" }),
      request: { params: TenantParams, body: jsonBody(ConfigFileRemoveRequest) },
      responses: { 200: jsonResponse(ConfigChangeResult, "Changed"), ...changeErrors },
    }),
    async (c) => {
      const { tenant } = c.req.valid("param");
      const req = c.req.valid("json");
      await may(c, "env.deploy", tenant, req.env ?? EVERY_ENV);
      return c.json(await s.config.removeFile(tenant, req), 200);
    },
  );
  api.openapi(
    createRoute({
      method: "patch",
      path: "/tenants/{tenant}/settings",
      operationId: "patchSettings",
      tags,
      summary:
        "Set resources and runtime settings (limits, replicas, port, health check, restart) in one layer",
      ...g({ permission: "env.deploy", tenant: "path", env: "body" }),
      request: { params: TenantParams, body: jsonBody(SettingsRequest) },
      responses: { 200: jsonResponse(ConfigChangeResult, "Changed"), ...changeErrors },
    }),
    async (c) => {
      const { tenant } = c.req.valid("param");
      const req = c.req.valid("json");
      await may(c, "env.deploy", tenant, req.env ?? EVERY_ENV);
      return c.json(await s.config.patchSettings(tenant, req), 200);
    },
  );
  api.openapi(
    createRoute({
      method: "get",
      path: "/tenants/{tenant}/settings",
      operationId: "getSettings",
      tags,
      summary:
        "The effective settings of an app in an environment, and the resources its next release would get",
      ...g({ permission: "env.read", tenant: "path", env: "query" }),
      request: { params: TenantParams, query: SettingsQuery },
      responses: { 200: jsonResponse(SettingsListing, "Settings"), ...errors(400, 401, 403, 404, 503) },
    }),
    async (c) => {
      const { tenant } = c.req.valid("param");
      const { app, env } = c.req.valid("query");
      await may(c, "env.read", tenant, env);
      return c.json(await s.config.settings(tenant, app, env), 200);
    },
  );
  api.openapi(
    createRoute({
      method: "get",
      path: "/tenants/{tenant}/envs/{env}/apps/{app}/config/diff",
      operationId: "getConfigDiff",
      tags,
      summary: "What differs between two releases, or between the live release and the layers now",
      ...g({ permission: "env.read", tenant: "path", env: "path" }),
      request: { params: AppEnvParams, query: DiffQuery },
      responses: { 200: jsonResponse(ConfigDiff, "Differences"), ...errors(400, 401, 403, 404, 409, 503) },
    }),
    async (c) => {
      const { tenant, env, app } = c.req.valid("param");
      const query = c.req.valid("query");
      if (query.showSecrets) await may(c, "env.secrets", tenant, env);
      return c.json(await s.config.diff(tenant, env, app, query), 200);
    },
  );
}
