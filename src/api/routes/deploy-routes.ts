import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import {
  Deployment,
  DeployRequest,
  DeployResponse,
  PromoteRequest,
  RollbackRequest,
  ScaleRequest,
} from "../../domain/deployment.js";
import { DeploymentEvent } from "../../domain/deployment-event.js";
import { Release } from "../../domain/release.js";
import { guards, requireIn } from "../guard.js";
import { AppEnvParams, AppParams } from "../path-params.js";
import { errors, forbiddenOrOverQuota, jsonBody, jsonResponse } from "../responses.js";
import type { ApiServices } from "../services.js";

const base = "/tenants/{tenant}/envs/{env}/apps/{app}";
/** A new release or more replicas: quotas and the isolation policy judge it, and the environment's engine takes it. */
const changeErrors = { ...errors(400, 401, 404, 409, 503), 403: forbiddenOrOverQuota };

const EventQuery = z.object({
  after: z.coerce
    .number()
    .int()
    .min(0)
    .default(0)
    .meta({ param: { name: "after", in: "query" } }),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(200)
    .meta({ param: { name: "limit", in: "query" } }),
});

export function registerDeployRoutes(api: OpenAPIHono, s: ApiServices): void {
  const g = guards(s.access);
  const may = requireIn(s.access);
  api.openapi(
    createRoute({
      method: "post",
      path: `${base}/deploy`,
      operationId: "deployApp",
      tags: ["deployments"],
      summary: "Create a release from an image and roll it out",
      ...g({ permission: "env.deploy", tenant: "path", env: "path" }),
      request: { params: AppEnvParams, body: jsonBody(DeployRequest) },
      responses: {
        202: jsonResponse(DeployResponse, "Release created; rollout started"),
        ...changeErrors,
        ...errors(413),
      },
    }),
    async (c) => {
      const { tenant, env, app } = c.req.valid("param");
      return c.json(await s.deploys.deploy(tenant, env, app, c.req.valid("json")), 202);
    },
  );
  api.openapi(
    createRoute({
      method: "post",
      path: `${base}/rollback`,
      operationId: "rollbackApp",
      tags: ["deployments"],
      summary: "Create a new release from an old one and roll it out",
      ...g({ permission: "env.deploy", tenant: "path", env: "path" }),
      request: { params: AppEnvParams, body: jsonBody(RollbackRequest) },
      responses: {
        202: jsonResponse(DeployResponse, "Release created; rollout started"),
        ...changeErrors,
        ...errors(413),
      },
    }),
    async (c) => {
      const { tenant, env, app } = c.req.valid("param");
      return c.json(await s.deploys.rollback(tenant, env, app, c.req.valid("json").to), 202);
    },
  );
  api.openapi(
    createRoute({
      method: "post",
      path: `${base}/redeploy`,
      operationId: "redeployApp",
      tags: ["deployments"],
      summary: "A new release of the current image with the config as the layers say now",
      ...g({ permission: "env.deploy", tenant: "path", env: "path" }),
      request: { params: AppEnvParams },
      responses: { 202: jsonResponse(DeployResponse, "Release created; rollout started"), ...changeErrors },
    }),
    async (c) => {
      const { tenant, env, app } = c.req.valid("param");
      return c.json(await s.deploys.redeploy(tenant, env, app), 202);
    },
  );
  api.openapi(
    createRoute({
      method: "post",
      path: "/tenants/{tenant}/apps/{app}/promote",
      operationId: "promoteApp",
      tags: ["deployments"],
      summary: "Deploy the image serving in one environment (by digest) to another, with that one's config",
      ...g({ permission: "env.deploy", tenant: "path", env: "body" }),
      request: { params: AppParams, body: jsonBody(PromoteRequest) },
      responses: {
        202: jsonResponse(DeployResponse, "Release created; rollout started"),
        ...changeErrors,
        ...errors(413),
      },
    }),
    async (c) => {
      const { tenant, app } = c.req.valid("param");
      const { from, to } = c.req.valid("json");
      await may(c, "env.read", tenant, from);
      await may(c, "env.deploy", tenant, to);
      return c.json(await s.deploys.promote(tenant, app, from, to), 202);
    },
  );
  api.openapi(
    createRoute({
      method: "post",
      path: `${base}/scale`,
      operationId: "scaleApp",
      tags: ["deployments"],
      summary: "Run this many replicas of the current release; later releases keep the number",
      ...g({ permission: "env.deploy", tenant: "path", env: "path" }),
      request: { params: AppEnvParams, body: jsonBody(ScaleRequest) },
      responses: { 202: jsonResponse(Deployment, "Scaling"), ...changeErrors, ...errors(413) },
    }),
    async (c) => {
      const { tenant, env, app } = c.req.valid("param");
      return c.json(await s.deploys.scale(tenant, env, app, c.req.valid("json").replicas), 202);
    },
  );
  api.openapi(
    createRoute({
      method: "get",
      path: `${base}/deployment`,
      operationId: "getDeployment",
      tags: ["deployments"],
      summary: "The app's deployment in this environment: desired and observed state",
      ...g({ permission: "env.read", tenant: "path", env: "path" }),
      request: { params: AppEnvParams },
      responses: {
        200: jsonResponse(Deployment, "Desired and observed state"),
        ...errors(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const { tenant, env, app } = c.req.valid("param");
      return c.json(await s.deploys.status(tenant, env, app), 200);
    },
  );
  api.openapi(
    createRoute({
      method: "get",
      path: `${base}/releases`,
      operationId: "listReleases",
      tags: ["deployments"],
      summary: "The app's releases in this environment (secret names only, never values)",
      ...g({ permission: "env.read", tenant: "path", env: "path" }),
      request: { params: AppEnvParams },
      responses: {
        200: jsonResponse(z.array(Release), "Releases, newest first"),
        ...errors(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const { tenant, env, app } = c.req.valid("param");
      return c.json(await s.deploys.releasesOf(tenant, env, app), 200);
    },
  );
  api.openapi(
    createRoute({
      method: "get",
      path: `${base}/events`,
      operationId: "listEvents",
      tags: ["deployments"],
      summary: "Rollout steps after a cursor, oldest first",
      ...g({ permission: "env.read", tenant: "path", env: "path" }),
      request: { params: AppEnvParams, query: EventQuery },
      responses: { 200: jsonResponse(z.array(DeploymentEvent), "Events"), ...errors(400, 401, 403, 404) },
    }),
    async (c) => {
      const { tenant, env, app } = c.req.valid("param");
      const { after, limit } = c.req.valid("query");
      return c.json(await s.deploys.events(tenant, env, app, after, limit), 200);
    },
  );
}
