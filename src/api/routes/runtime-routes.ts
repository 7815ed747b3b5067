import { Readable } from "node:stream";
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { ContainerRow } from "../../domain/container-row.js";
import { guards } from "../guard.js";
import { AppEnvParams } from "../path-params.js";
import { errors, jsonResponse, streamed } from "../responses.js";
import type { ApiServices } from "../services.js";

const base = "/tenants/{tenant}/envs/{env}/apps/{app}";

const LogQuery = z.object({
  follow: z
    .enum(["true", "false", "1", "0"])
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

export function registerRuntimeRoutes(api: OpenAPIHono, s: ApiServices): void {
  const g = guards(s.access);
  api.openapi(
    createRoute({
      method: "get",
      path: `${base}/containers`,
      operationId: "listContainers",
      tags: ["runtime"],
      summary: "The app's replicas in this environment as the reconciler last saw them, with their health",
      ...g({ permission: "env.read", tenant: "path", env: "path" }),
      request: { params: AppEnvParams },
      responses: {
        // Read from the recorded status: no engine is asked, so none can be unreachable.
        200: jsonResponse(z.array(ContainerRow), "One row per replica"),
        ...errors(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const { tenant, env, app } = c.req.valid("param");
      return c.json(await s.runtime.containers(tenant, env, app), 200);
    },
  );
  api.openapi(
    createRoute({
      method: "get",
      path: `${base}/logs`,
      operationId: "streamLogs",
      tags: ["runtime"],
      summary: "Logs of every container, prefixed by release and replica; streams when follow=true",
      ...g({ permission: "env.read", tenant: "path", env: "path" }),
      request: { params: AppEnvParams, query: LogQuery },
      responses: {
        200: { description: "Log text", content: { "text/plain": { schema: z.string() } } },
        ...errors(400, 401, 403, 404, 503),
      },
    }),
    async (c) => {
      const { tenant, env, app } = c.req.valid("param");
      const { follow, tail } = c.req.valid("query");
      const stream = await s.runtime.logs(tenant, env, app, follow === "true" || follow === "1", tail);
      c.req.raw.signal.addEventListener("abort", () => stream.destroy());
      return streamed(
        new Response(Readable.toWeb(stream) as ReadableStream, {
          status: 200,
          headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
        }),
      );
    },
  );
}
