import { beforeAll, describe, expect, it } from "vitest";
import { openApiDocument } from "../../scripts/openapi-document.js";
import { API_BASE, OPEN_ROUTES } from "../../src/api/create-api.js";

interface Response {
  content?: Record<string, { schema?: { $ref?: string } }>;
}
interface Operation {
  operationId?: string;
  summary?: string;
  tags?: string[];
  security?: unknown[];
  parameters?: unknown[];
  requestBody?: { content: Record<string, unknown> };
  responses: Record<string, Response>;
}
interface Document {
  tags?: { name: string; description?: string }[];
  paths: Record<string, Record<string, Operation>>;
}

/** The statuses the edge and the error mapper answer with; 500 is never declared. */
const ERROR_STATUSES = ["400", "401", "403", "404", "409", "413", "422", "429", "503"];
const ERROR_SCHEMA = "#/components/schemas/ErrorBody";

/**
 * Client generators make method names, typed errors and auth from the document, so every
 * operation must carry them; a route added without them fails here (and in Redocly's lint).
 */
describe("OpenAPI document", () => {
  let doc: Document;
  let operations: { key: string; open: boolean; op: Operation }[];

  beforeAll(async () => {
    doc = (await openApiDocument()) as unknown as Document;
    operations = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, op]) => {
        const key = `${method.toUpperCase()} ${path}`;
        return { key, open: OPEN_ROUTES.has(`${method.toUpperCase()} ${API_BASE}${path}`), op };
      }),
    );
  });

  /** Each operation's problems, as "KEY: what", so a failure names every route at fault at once. */
  const problems = (check: (op: Operation, open: boolean) => string[]) =>
    operations.flatMap(({ key, op, open }) => check(op, open).map((p) => `${key}: ${p}`));

  it("holds every route, the open ones included (the document itself aside)", () => {
    expect(operations.length).toBeGreaterThan(70);
    const keys = new Set(operations.map((o) => `${o.key.split(" ")[0]} ${API_BASE}${o.key.split(" ")[1]}`));
    const missing = [...OPEN_ROUTES].filter((r) => r !== `GET ${API_BASE}/openapi.json` && !keys.has(r));
    expect(missing).toEqual([]);
  });

  it("names every operation with a unique camelCase operationId", () => {
    const ids = operations.map((o) => o.op.operationId);
    expect(
      problems((op) => [
        ...(/^[a-z][A-Za-z0-9]+$/.test(op.operationId ?? "") ? [] : [`operationId ${op.operationId}`]),
        ...(ids.filter((id) => id === op.operationId).length > 1
          ? [`operationId ${op.operationId} twice`]
          : []),
      ]),
    ).toEqual([]);
  });

  it("gives every operation a one-line summary and a tag described at the top", () => {
    const declared = new Set((doc.tags ?? []).filter((t) => t.description).map((t) => t.name));
    expect(
      problems((op) => [
        ...(op.summary?.trim() && !op.summary.includes("\n") ? [] : ["no one-line summary"]),
        ...((op.tags ?? []).length > 0 ? [] : ["no tag"]),
        ...(op.tags ?? []).filter((t) => !declared.has(t)).map((t) => `tag ${t} not in the top-level tags`),
      ]),
    ).toEqual([]);
  });

  it("declares security on every operation: empty exactly where no token is asked for", () => {
    expect(
      problems((op, open) => {
        if (!Array.isArray(op.security)) return ["no security"];
        return (op.security.length === 0) === open ? [] : [`security ${JSON.stringify(op.security)}`];
      }),
    ).toEqual([]);
  });

  it("declares the 401 of the token, the 400 of the validator and the 413 of the body limit", () => {
    expect(
      problems((op, open) => {
        const has = (status: string) => Object.hasOwn(op.responses, status);
        const input = (op.parameters ?? []).length > 0 || op.requestBody !== undefined;
        const json = Object.hasOwn(op.requestBody?.content ?? {}, "application/json");
        return [
          ...(open || has("401") ? [] : ["no 401 (bearer auth)"]),
          ...(!input || has("400") ? [] : ["no 400 (validation)"]),
          ...(!json || has("413") ? [] : ["no 413 (JSON body limit)"]),
        ];
      }),
    ).toEqual([]);
  });

  it("answers every declared error with the Error body, and only with statuses the API uses", () => {
    expect(
      problems((op) =>
        Object.entries(op.responses)
          .filter(([status]) => Number(status) >= 400)
          .flatMap(([status, response]) => {
            if (!ERROR_STATUSES.includes(status)) return [`${status} is not an error status of the API`];
            const types = Object.keys(response.content ?? {});
            const ref = response.content?.["application/json"]?.schema?.$ref;
            return types.length === 1 && ref === ERROR_SCHEMA ? [] : [`${status} is not the Error body`];
          }),
      ),
    ).toEqual([]);
  });
});
