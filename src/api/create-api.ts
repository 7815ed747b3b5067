import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { z } from "zod";
import type { Principal } from "../domain/identity.js";
import { auditTrail } from "./audit-trail.js";
import { bearerAuth } from "./bearer-auth.js";
import type { ErrorBody } from "./error-body.js";
import { errorResponse, validationResponse } from "./error-mapper.js";
import type { Access } from "./guard.js";
import { jsonResponse } from "./responses.js";
import { registerAdminRoutes } from "./routes/admin-routes.js";
import { registerAppRoutes } from "./routes/app-routes.js";
import { registerBuildRoutes } from "./routes/build-routes.js";
import { registerBurstRoutes } from "./routes/burst-routes.js";
import { registerCanaryRoutes } from "./routes/canary-routes.js";
import { registerCatalogRoutes } from "./routes/catalog-routes.js";
import { registerClusterRoutes } from "./routes/cluster-routes.js";
import { registerConfigRoutes } from "./routes/config-routes.js";
import { registerDeployRoutes } from "./routes/deploy-routes.js";
import { registerIdentityRoutes } from "./routes/identity-routes.js";
import { registerLinkRoutes } from "./routes/link-routes.js";
import { registerManifestRoutes } from "./routes/manifest-routes.js";
import { registerMemberRoutes } from "./routes/member-routes.js";
import { registerPolicyRoutes } from "./routes/policy-routes.js";
import { registerQuotaRoutes } from "./routes/quota-routes.js";
import { registerRouteRoutes } from "./routes/route-routes.js";
import { registerRuntimeRoutes } from "./routes/runtime-routes.js";
import { registerServiceRoutes } from "./routes/service-routes.js";
import { registerTenantRoutes } from "./routes/tenant-routes.js";
import type { ApiServices } from "./services.js";

export interface ApiOptions {
  services: ApiServices;
  authenticate: (token: string) => Promise<Principal | undefined>;
  version: string;
  logError: (err: unknown) => void;
}

export const API_BASE = "/api/v1";
const JSON_BODY_LIMIT = 64 * 1024;
/** Manifests and config files carry file contents (up to 256 KiB each). */
const LARGE_JSON_LIMIT = 4 * 1024 * 1024;
const LARGE_JSON_PATHS = [/\/config\/files$/, /\/apply$/];
/** A capability module's folder, base64 (MODULE_LIMITS: 8 MiB of files). */
const MODULE_JSON_LIMIT = 12 * 1024 * 1024;

/** The only routes without a token; every other route also declares who may call it (guard.ts). */
export const OPEN_ROUTES: ReadonlySet<string> = new Set([
  `GET ${API_BASE}/healthz`,
  `GET ${API_BASE}/openapi.json`,
  `GET ${API_BASE}/schemas/berth.yaml.json`,
  `POST ${API_BASE}/sessions`,
]);

const Health = z.object({ ok: z.boolean(), version: z.string() }).meta({ id: "Health" });

/** One per resource area, in the order a reader meets them. */
const TAGS = [
  { name: "health", description: "Whether the server is up, and its version; no token needed" },
  { name: "identity", description: "Users, passwords, sign-in and API tokens" },
  { name: "tenants", description: "Tenants: the unit of isolation, membership and quota" },
  { name: "environments", description: "A tenant's environments (dev, test, prod...) and their protection" },
  { name: "members", description: "Who belongs to a tenant, with which role" },
  { name: "quotas", description: "Limits on what a tenant, or one of its environments, may run" },
  { name: "policy", description: "Exceptions to container isolation that platform admins grant a tenant" },
  { name: "apps", description: "Apps of a tenant, and their deployment in each environment" },
  { name: "builds", description: "Images built on the server from a tar build context" },
  { name: "deployments", description: "Releases and rollouts: deploy, roll back, promote, scale, events" },
  { name: "runtime", description: "What runs now: containers and their logs" },
  { name: "canary", description: "Canary and blue-green releases beside the serving one" },
  { name: "routes", description: "Custom hosts and paths for an app, with TLS" },
  { name: "links", description: "The one way for an app to reach another environment's or tenant's app" },
  { name: "config", description: "Layered config, secrets, config files and runtime settings" },
  { name: "manifests", description: "berth.yaml: apply, export and its JSON Schema" },
  { name: "burst", description: "Overflow from one node pool to another when it is full" },
  { name: "clusters", description: "Docker Swarm clusters that environments run on, and their nodes" },
  { name: "admin", description: "Platform chores: key rotation, backups and the audit log" },
  {
    name: "catalog",
    description: "Capability modules: middleware and data services tenants provision themselves",
  },
  { name: "services", description: "Service instances of catalog capabilities, and apps' bindings to them" },
];

/** The HTTP edge: validation, auth, routes and the OpenAPI document, all from the same schemas. */
export function createApi(options: ApiOptions): OpenAPIHono {
  const api = new OpenAPIHono({
    defaultHook: (result, c) => {
      if (!result.success) return validationResponse(c, result.error, result.target);
    },
  });
  api.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer" });

  api.openapi(
    createRoute({
      method: "get",
      path: "/healthz",
      operationId: "getHealth",
      tags: ["health"],
      summary: "Whether the server is up, and its version",
      security: [],
      "x-berth-access": { permission: "public" } satisfies Access,
      responses: { 200: jsonResponse(Health, "Up") },
    }),
    (c) => c.json({ ok: true, version: options.version }, 200),
  );
  api.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "Berth API",
      version: options.version,
      description: "Everything the berth CLI does, it does through this API.",
      license: { name: "Apache-2.0", url: "https://www.apache.org/licenses/LICENSE-2.0" },
    },
    servers: [{ url: API_BASE }],
    tags: TAGS,
  });

  api.use(
    "*",
    auditTrail((entry) => options.services.audit.record(entry), options.logError),
  );
  const auth = bearerAuth(options.authenticate);
  api.use("*", async (c, next) =>
    OPEN_ROUTES.has(`${c.req.method} ${c.req.path}`) ? next() : auth(c, next),
  );
  api.use("*", async (c, next) => {
    // Build contexts are the one large body; everything else is small JSON, whatever it claims to be.
    if (c.req.method === "POST" && c.req.path.endsWith("/builds")) return next();
    return bodyLimit({
      maxSize: c.req.path.endsWith("/catalog")
        ? MODULE_JSON_LIMIT
        : LARGE_JSON_PATHS.some((p) => p.test(c.req.path))
          ? LARGE_JSON_LIMIT
          : JSON_BODY_LIMIT,
      onError: (c) =>
        c.json({ error: { code: "invalid", message: "request body too large" } } satisfies ErrorBody, 413),
    })(c, next);
  });

  registerIdentityRoutes(api, options.services);
  registerTenantRoutes(api, options.services);
  registerMemberRoutes(api, options.services);
  registerQuotaRoutes(api, options.services);
  registerPolicyRoutes(api, options.services);
  registerLinkRoutes(api, options.services);
  registerAppRoutes(api, options.services);
  registerDeployRoutes(api, options.services);
  registerRuntimeRoutes(api, options.services);
  registerBuildRoutes(api, options.services, options.logError);
  registerCanaryRoutes(api, options.services);
  registerRouteRoutes(api, options.services);
  registerConfigRoutes(api, options.services);
  registerCatalogRoutes(api, options.services);
  registerServiceRoutes(api, options.services);
  registerManifestRoutes(api, options.services);
  registerAdminRoutes(api, options.services);
  registerClusterRoutes(api, options.services);
  registerBurstRoutes(api, options.services);

  api.onError((error, c) => errorResponse(c, error, options.logError));

  const root = new OpenAPIHono();
  root.route(API_BASE, api);
  root.notFound((c) => {
    const message = c.req.path.startsWith(`${API_BASE}/`)
      ? `no API route ${c.req.method} ${c.req.path}; see ${API_BASE}/openapi.json`
      : `the API lives under ${API_BASE}`;
    return c.json({ error: { code: "not_found", message } } satisfies ErrorBody, 404);
  });
  return root;
}
