import { Readable } from "node:stream";
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import {
  BindingName,
  BindRequest,
  CreateServiceRequest,
  InstanceName,
  ServiceBinding,
  ServiceInstance,
  ServiceOperation,
  UpdateServiceRequest,
} from "../../domain/service-instance.js";
import { callerOf } from "../bearer-auth.js";
import { guards, requireIn } from "../guard.js";
import { AppEnvParams, EnvParams } from "../path-params.js";
import { errors, forbiddenOrOverQuota, jsonBody, jsonResponse, streamed } from "../responses.js";
import type { ApiServices } from "../services.js";

const tags = ["services"];
const base = "/tenants/{tenant}/envs/{env}/services";
const ServiceParams = EnvParams.extend({
  service: InstanceName.meta({ param: { name: "service", in: "path" } }),
});
const OperationParams = ServiceParams.extend({
  id: z.coerce
    .number()
    .int()
    .min(1)
    .meta({ param: { name: "id", in: "path" } }),
});
const BindingParams = AppEnvParams.extend({
  binding: BindingName.meta({ param: { name: "binding", in: "path" } }),
});
const DeleteQuery = z.object({
  keepVolume: z
    .enum(["true", "false"])
    .default("false")
    .meta({
      param: { name: "keepVolume", in: "query" },
      description: "Keep the instance's volumes (their data stays on the engine)",
    }),
});
const LogQuery = z.object({
  follow: z
    .enum(["true", "false"])
    .default("false")
    .meta({ param: { name: "follow", in: "query" } }),
  tail: z.coerce
    .number()
    .int()
    .min(0)
    .max(100_000)
    .default(100)
    .meta({ param: { name: "tail", in: "query" } }),
});
const BindOutcome = z
  .object({
    binding: ServiceBinding,
    release: z
      .number()
      .int()
      .nullable()
      .meta({ description: "The release the app rolls out with it; null: not deployed yet" }),
    eventCursor: z.number().int(),
  })
  .meta({ id: "BindOutcome" });

export function registerServiceRoutes(api: OpenAPIHono, s: ApiServices): void {
  const g = guards(s.access);
  const may = requireIn(s.access);
  api.openapi(
    createRoute({
      method: "get",
      path: base,
      operationId: "listServices",
      tags,
      summary: "Service instances in an environment",
      ...g({ permission: "env.read", tenant: "path", env: "path" }),
      request: { params: EnvParams },
      responses: {
        200: jsonResponse(z.array(ServiceInstance), "Instances, by name"),
        ...errors(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const { tenant, env } = c.req.valid("param");
      return c.json(await s.instances.list(tenant, env), 200);
    },
  );
  api.openapi(
    createRoute({
      method: "post",
      path: base,
      operationId: "createService",
      tags,
      summary: "Provision a service instance of a catalog capability; asynchronous: poll it or its operation",
      ...g({ permission: "env.deploy", tenant: "path", env: "path" }),
      request: { params: EnvParams, body: jsonBody(CreateServiceRequest) },
      responses: {
        202: jsonResponse(ServiceInstance, "Accepted: provisioning"),
        ...errors(400, 401, 404, 409, 413, 422, 503),
        403: forbiddenOrOverQuota,
      },
    }),
    async (c) => {
      const { tenant, env } = c.req.valid("param");
      return c.json(await s.instances.create(tenant, env, c.req.valid("json"), callerOf(c).user), 202);
    },
  );
  api.openapi(
    createRoute({
      method: "get",
      path: `${base}/{service}`,
      operationId: "getService",
      tags,
      summary: "A service instance: phase, components, bindings, its newest operation",
      ...g({ permission: "env.read", tenant: "path", env: "path" }),
      request: { params: ServiceParams },
      responses: { 200: jsonResponse(ServiceInstance, "The instance"), ...errors(400, 401, 403, 404) },
    }),
    async (c) => {
      const { tenant, env, service } = c.req.valid("param");
      return c.json(await s.instances.info(tenant, env, service), 200);
    },
  );
  api.openapi(
    createRoute({
      method: "patch",
      path: `${base}/{service}`,
      operationId: "updateService",
      tags,
      summary: "A new plan or new parameters (the module's update schema); asynchronous, like create",
      ...g({ permission: "env.deploy", tenant: "path", env: "path" }),
      request: { params: ServiceParams, body: jsonBody(UpdateServiceRequest) },
      responses: {
        202: jsonResponse(ServiceInstance, "Accepted: updating"),
        ...errors(400, 401, 404, 409, 413, 422, 503),
        403: forbiddenOrOverQuota,
      },
    }),
    async (c) => {
      const { tenant, env, service } = c.req.valid("param");
      return c.json(
        await s.instances.update(tenant, env, service, c.req.valid("json"), callerOf(c).user),
        202,
      );
    },
  );
  api.openapi(
    createRoute({
      method: "get",
      path: `${base}/{service}/operations/{id}`,
      operationId: "getServiceOperation",
      tags,
      summary: "One operation on an instance: pending, in progress, succeeded or failed, with its reason",
      ...g({ permission: "env.read", tenant: "path", env: "path" }),
      request: { params: OperationParams },
      responses: { 200: jsonResponse(ServiceOperation, "The operation"), ...errors(400, 401, 403, 404) },
    }),
    async (c) => {
      const { tenant, env, service, id } = c.req.valid("param");
      return c.json(await s.instances.operation(tenant, env, service, id), 200);
    },
  );
  api.openapi(
    createRoute({
      method: "delete",
      path: `${base}/{service}`,
      operationId: "deleteService",
      tags,
      summary: "Delete a service instance and (unless kept) its volumes; refused while apps are bound to it",
      ...g({ permission: "env.deploy", tenant: "path", env: "path" }),
      request: { params: ServiceParams, query: DeleteQuery },
      responses: {
        202: jsonResponse(ServiceInstance, "Accepted: deleting"),
        ...errors(400, 401, 403, 404, 409, 503),
      },
    }),
    async (c) => {
      const { tenant, env, service } = c.req.valid("param");
      // Its data goes with it: a maintainer's call, as deleting an app is.
      await may(c, "app.delete", tenant);
      const keep = c.req.valid("query").keepVolume === "true";
      return c.json(await s.instances.delete(tenant, env, service, keep, callerOf(c).user), 202);
    },
  );
  api.openapi(
    createRoute({
      method: "get",
      path: `${base}/{service}/logs`,
      operationId: "streamServiceLogs",
      tags,
      summary: "Logs of the instance's containers, prefixed by component, release and replica",
      ...g({ permission: "env.read", tenant: "path", env: "path" }),
      request: { params: ServiceParams, query: LogQuery },
      responses: {
        200: { description: "Log text", content: { "text/plain": { schema: z.string() } } },
        ...errors(400, 401, 403, 404, 503),
      },
    }),
    async (c) => {
      const { tenant, env, service } = c.req.valid("param");
      const q = c.req.valid("query");
      const stream = await s.instances.logs(tenant, env, service, q.follow === "true", q.tail);
      return streamed(
        new Response(Readable.toWeb(stream) as ReadableStream, {
          status: 200,
          headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
        }),
      );
    },
  );
  api.openapi(
    createRoute({
      method: "get",
      path: "/tenants/{tenant}/envs/{env}/apps/{app}/bindings",
      operationId: "listBindings",
      tags,
      summary: "The app's bindings in an environment",
      ...g({ permission: "env.read", tenant: "path", env: "path" }),
      request: { params: AppEnvParams },
      responses: {
        200: jsonResponse(z.array(ServiceBinding), "Bindings, by name"),
        ...errors(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const { tenant, env, app } = c.req.valid("param");
      return c.json(await s.bindings.list(tenant, env, app), 200);
    },
  );
  api.openapi(
    createRoute({
      method: "post",
      path: "/tenants/{tenant}/envs/{env}/apps/{app}/bindings",
      operationId: "bindService",
      tags,
      summary:
        "Bind the app to a service instance in the same environment: its own credentials, as files under $SERVICE_BINDING_ROOT and env vars; the app rolls out with them",
      ...g({ permission: "env.deploy", tenant: "path", env: "path" }),
      request: { params: AppEnvParams, body: jsonBody(BindRequest) },
      responses: {
        201: jsonResponse(BindOutcome, "Bound; the app is rolling out with it"),
        ...errors(400, 401, 404, 409, 413, 422, 503),
        403: forbiddenOrOverQuota,
      },
    }),
    async (c) => {
      const { tenant, env, app } = c.req.valid("param");
      return c.json(await s.bindings.bind(tenant, env, app, c.req.valid("json")), 201);
    },
  );
  api.openapi(
    createRoute({
      method: "post",
      path: "/tenants/{tenant}/envs/{env}/apps/{app}/bindings/{binding}/rotate",
      operationId: "rotateBinding",
      tags,
      summary:
        "New credentials for a binding: a new user at the service, the app rolled out with it, the old user revoked once no replica uses it",
      ...g({ permission: "env.deploy", tenant: "path", env: "path" }),
      request: { params: BindingParams },
      responses: {
        200: jsonResponse(BindOutcome, "Rotating; the app is rolling out with the new credentials"),
        ...errors(400, 401, 403, 404, 409, 422, 503),
      },
    }),
    async (c) => {
      const { tenant, env, app, binding } = c.req.valid("param");
      return c.json(await s.bindings.rotate(tenant, env, app, binding), 200);
    },
  );
  api.openapi(
    createRoute({
      method: "delete",
      path: "/tenants/{tenant}/envs/{env}/apps/{app}/bindings/{binding}",
      operationId: "unbindService",
      tags,
      summary: "Unbind: the app rolls out without it, then its credentials are revoked at the service",
      ...g({ permission: "env.deploy", tenant: "path", env: "path" }),
      request: { params: BindingParams },
      responses: { 200: jsonResponse(BindOutcome, "Unbinding"), ...errors(400, 401, 403, 404, 409, 503) },
    }),
    async (c) => {
      const { tenant, env, app, binding } = c.req.valid("param");
      return c.json(await s.bindings.unbind(tenant, env, app, binding), 200);
    },
  );
}
