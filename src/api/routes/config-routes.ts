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
import { SettingsListing, SettingsPatch } from "../../domain/settings.js";
import { AppEnvParams, TenantParams } from "../path-params.js";
import { errorResponses, jsonBody, jsonResponse } from "../responses.js";
import type { ApiServices } from "../services.js";

const security = [{ bearer: [] }];
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

export function registerConfigRoutes(api: OpenAPIHono, s: ApiServices): void {
  api.openapi(
    createRoute({
      method: "patch",
      path: "/tenants/{tenant}/config",
      tags,
      summary: "Set, seal or unset values in one layer; every deployment it reaches rolls out a new release",
      security,
      request: { params: TenantParams, body: jsonBody(ConfigChangeRequest) },
      responses: { 200: jsonResponse(ConfigChangeResult, "Changed"), ...errorResponses },
    }),
    async (c) => c.json(await s.config.change(c.req.valid("param").tenant, c.req.valid("json")), 200),
  );
  api.openapi(
    createRoute({
      method: "get",
      path: "/tenants/{tenant}/config",
      tags,
      summary: "One layer's values, or with app and env the effective values with the layer each came from",
      security,
      request: { params: TenantParams, query: ScopeQuery },
      responses: { 200: jsonResponse(ConfigListing, "Config"), ...errorResponses },
    }),
    async (c) => {
      const { app, env, showSecrets } = c.req.valid("query");
      return c.json(await s.config.list(c.req.valid("param").tenant, { app, env }, showSecrets), 200);
    },
  );
  api.openapi(
    createRoute({
      method: "put",
      path: "/tenants/{tenant}/config/files",
      tags,
      summary: "Set a config file (a template) mounted read-only into the app's containers",
      security,
      request: { params: TenantParams, body: jsonBody(ConfigFileRequest) },
      responses: { 200: jsonResponse(ConfigChangeResult, "Changed"), ...errorResponses },
    }),
    async (c) => c.json(await s.config.putFile(c.req.valid("param").tenant, c.req.valid("json")), 200),
  );
  api.openapi(
    createRoute({
      method: "post",
      path: "/tenants/{tenant}/config/files/remove",
      tags,
      summary: "Remove a config file from one layer",
      security,
      request: { params: TenantParams, body: jsonBody(ConfigFileRemoveRequest) },
      responses: { 200: jsonResponse(ConfigChangeResult, "Changed"), ...errorResponses },
    }),
    async (c) => c.json(await s.config.removeFile(c.req.valid("param").tenant, c.req.valid("json")), 200),
  );
  api.openapi(
    createRoute({
      method: "patch",
      path: "/tenants/{tenant}/settings",
      tags,
      summary:
        "Set resources and runtime settings (limits, replicas, port, health check, restart) in one layer",
      security,
      request: { params: TenantParams, body: jsonBody(SettingsRequest) },
      responses: { 200: jsonResponse(ConfigChangeResult, "Changed"), ...errorResponses },
    }),
    async (c) => c.json(await s.config.patchSettings(c.req.valid("param").tenant, c.req.valid("json")), 200),
  );
  api.openapi(
    createRoute({
      method: "get",
      path: "/tenants/{tenant}/settings",
      tags,
      summary:
        "The effective settings of an app in an environment, and the resources its next release would get",
      security,
      request: { params: TenantParams, query: SettingsQuery },
      responses: { 200: jsonResponse(SettingsListing, "Settings"), ...errorResponses },
    }),
    async (c) => {
      const { app, env } = c.req.valid("query");
      return c.json(await s.config.settings(c.req.valid("param").tenant, app, env), 200);
    },
  );
  api.openapi(
    createRoute({
      method: "get",
      path: "/tenants/{tenant}/envs/{env}/apps/{app}/config/diff",
      tags,
      summary: "What differs between two releases, or between the live release and the layers now",
      security,
      request: { params: AppEnvParams, query: DiffQuery },
      responses: { 200: jsonResponse(ConfigDiff, "Differences"), ...errorResponses },
    }),
    async (c) => {
      const { tenant, env, app } = c.req.valid("param");
      return c.json(await s.config.diff(tenant, env, app, c.req.valid("query")), 200);
    },
  );
}
