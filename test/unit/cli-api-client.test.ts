import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiClient } from "../../src/cli/api-client.js";
import { CliError, ServerUnreachable } from "../../src/cli/cli-error.js";
import { freePort } from "../support/free-port.js";

const text = async (stream: AsyncIterable<unknown>) => {
  let all = "";
  for await (const chunk of stream) all += Buffer.isBuffer(chunk) ? chunk.toString("utf8") : String(chunk);
  return all;
};

/**
 * The CLI's transport (api-calls.ts, light-fetch.ts, node-http-fetch.ts) against a stub of the
 * API: what reaches the server, what comes back, and the CLI's errors, without Docker.
 */
describe("ApiClient over node:http", () => {
  let server: Server;
  let client: ApiClient;
  let connections = 0;
  const seen: { method: string; url: string; auth?: string; type?: string; bytes: number }[] = [];

  const routes: Record<string, (req: IncomingMessage, res: ServerResponse, body: Buffer) => void> = {
    "GET /api/v1/whoami": (_, res) =>
      res.writeHead(200, { "content-type": "application/json" }).end('{"user":"admin","admin":true}'),
    "DELETE /api/v1/tenants/acme": (_, res) => res.writeHead(204).end(),
    "POST /api/v1/tenants": (_, res) =>
      res
        .writeHead(409, { "content-type": "application/json" })
        .end(
          '{"error":{"code":"conflict","message":"tenant \'acme\' already exists","field":"name","issues":[{"path":["name"],"message":"taken"}]}}',
        ),
    "GET /api/v1/tenants": (_, res) => res.writeHead(502, "Bad Gateway").end("<html>proxy</html>"),
    "GET /api/v1/tenants/acme/envs/dev/apps/web/logs?follow=true&tail=5": (_, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("r1.1 hello\n");
      setTimeout(() => res.end("r1.1 world\n"), 20);
    },
    "POST /api/v1/tenants/acme/apps/web/builds": (_, res, body) => {
      res.writeHead(200, { "content-type": "application/x-ndjson" });
      // Lines split across chunks, as a real stream may cut them.
      res.write(`{"type":"log","line":"got ${body.length} bytes"}\n{"type":"lo`);
      setTimeout(
        () => res.end('g","line":"step 2"}\n{"type":"result","imageId":"sha256:1","image":"x:1"}\n'),
        20,
      );
    },
  };

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks);
        seen.push({
          method: req.method ?? "",
          url: req.url ?? "",
          auth: req.headers.authorization,
          type: req.headers["content-type"],
          bytes: body.length,
        });
        const route = routes[`${req.method} ${req.url}`];
        if (route) route(req, res, body);
        else res.writeHead(404).end();
      });
    });
    server.on("connection", () => connections++);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    client = new ApiClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, "tok");
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it("sends the token and parses a JSON answer", async () => {
    expect(await client.whoami()).toEqual({ user: "admin", admin: true });
    expect(seen.at(-1)).toMatchObject({ method: "GET", url: "/api/v1/whoami", auth: "Bearer tok" });
  });

  it("reads an empty answer to the end, so the connection is free for the next call at once", async () => {
    const before = connections;
    await client.deleteTenant("acme");
    await client.deleteTenant("acme");
    await client.whoami();
    expect(connections - before).toBeLessThanOrEqual(1);
  });

  it("turns an error answer into a CliError with the API's message, field and issues", async () => {
    const error = await client.createTenant("acme").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect(error).not.toBeInstanceOf(ServerUnreachable);
    expect(error).toMatchObject({
      message: "tenant 'acme' already exists",
      exitCode: 1,
      field: "name",
      issues: [{ path: ["name"], message: "taken" }],
    });
    expect(seen.at(-1)).toMatchObject({ type: "application/json", bytes: '{"name":"acme"}'.length });
  });

  it("shows the status line when the answer is not Berth's (a proxy in the way)", async () => {
    await expect(client.listTenants()).rejects.toThrow(new CliError("502 Bad Gateway"));
  });

  it("says the server cannot be reached when nothing listens", async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const error = await new ApiClient(url, "tok").whoami().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerUnreachable);
    expect((error as Error).message).toBe(
      `cannot reach the Berth server at ${url} (ECONNREFUSED); is it running? (scripts/up starts it)`,
    );
  });

  it("streams a log as a Node stream", async () => {
    const logs = await client.logs("acme", "dev", "web", true, 5);
    expect(logs).toBeInstanceOf(Readable);
    expect(await text(logs)).toBe("r1.1 hello\nr1.1 world\n");
  });

  it("streams a tar context up and calls onLine once per JSON line", async () => {
    const context = Readable.from([Buffer.alloc(1000, 1), Buffer.alloc(24, 2)]);
    const lines: unknown[] = [];
    await client.build("acme", "web", context, (line) => lines.push(line));
    expect(seen.at(-1)).toMatchObject({ type: "application/x-tar", bytes: 1024 });
    expect(lines).toEqual([
      { type: "log", line: "got 1024 bytes" },
      { type: "log", line: "step 2" },
      { type: "result", imageId: "sha256:1", image: "x:1" },
    ]);
  });
});
