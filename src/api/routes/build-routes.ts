import { Readable } from "node:stream";
import type { ReadableStream as NodeWebStream } from "node:stream/web";
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { DomainError } from "../../domain/domain-error.js";
import { guards } from "../guard.js";
import { AppParams } from "../path-params.js";
import { errors, streamed } from "../responses.js";
import type { ApiServices } from "../services.js";

/**
 * One line of the build stream: log lines as they come, then exactly one result or error. Each
 * kind is a named schema and `type` tells them apart, so client generators make one type per
 * kind (a bare union of inline objects came out as one type with every field required).
 */
export const BuildLine = z
  .discriminatedUnion("type", [
    z.object({ type: z.literal("log"), line: z.string() }).meta({ id: "BuildLogLine" }),
    z
      .object({ type: z.literal("result"), imageId: z.string(), image: z.string() })
      .meta({ id: "BuildResultLine" }),
    z.object({ type: z.literal("error"), message: z.string() }).meta({ id: "BuildErrorLine" }),
  ])
  .meta({ id: "BuildLine" });
export type BuildLine = z.infer<typeof BuildLine>;

export function registerBuildRoutes(
  api: OpenAPIHono,
  s: ApiServices,
  logError: (err: unknown) => void,
): void {
  const g = guards(s.access);
  api.openapi(
    createRoute({
      method: "post",
      path: "/tenants/{tenant}/apps/{app}/builds",
      operationId: "buildImage",
      tags: ["builds"],
      summary: "Build an image from a tar build context (with a Dockerfile at its root)",
      ...g({ permission: "build", tenant: "path" }),
      request: {
        params: AppParams,
        body: {
          required: true,
          content: { "application/x-tar": { schema: z.string().meta({ format: "binary" }) } },
        },
      },
      responses: {
        200: {
          description: "Newline-delimited JSON BuildLine objects, streamed as the build runs",
          content: { "application/x-ndjson": { schema: BuildLine } },
        },
        // Once the body is read the answer is this stream: a failed build is its last line, not a status.
        ...errors(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const { tenant, app } = c.req.valid("param");
      const body = c.req.raw.body;
      if (!body) throw new DomainError("invalid", "the request body must be a tar build context", "body");
      const context = Readable.fromWeb(body as unknown as NodeWebStream);
      const encoder = new TextEncoder();
      const stream = new ReadableStream<Uint8Array>({
        start: async (controller) => {
          const send = (line: BuildLine) => controller.enqueue(encoder.encode(`${JSON.stringify(line)}\n`));
          try {
            const image = await s.builds.build(tenant, app, context, (line) => send({ type: "log", line }));
            send({ type: "result", imageId: image.id, image: image.tag });
          } catch (error) {
            // Same policy as the error mapper: domain errors are for users, anything else for the log.
            if (!(error instanceof DomainError)) logError(error);
            const message =
              error instanceof DomainError ? error.message : "internal error; see the Berth server log";
            send({ type: "error", message });
          }
          controller.close();
        },
      });
      return streamed(
        new Response(stream, { status: 200, headers: { "content-type": "application/x-ndjson" } }),
      );
    },
  );
}
