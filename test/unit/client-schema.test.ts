import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { openApiDocument } from "../../scripts/openapi-document.js";

const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const SCHEMA = join(ROOT, "packages/client/src/schema.ts");

/** The generator as `npm run client:generate` runs it (package.json), into FILE. */
function generate(document: string, file: string): Promise<void> {
  const bin = join(ROOT, "node_modules/.bin/openapi-typescript");
  const args = [document, "--default-non-nullable", "false", "--output", file];
  return new Promise((done, fail) =>
    execFile(bin, args, { cwd: ROOT }, (error, _stdout, stderr) =>
      error ? fail(new Error(`openapi-typescript failed: ${stderr}`)) : done(),
    ),
  );
}

/**
 * @berth/client's types are generated from the API's OpenAPI document and checked in; this fails
 * when a route or schema changed without regenerating them, so the client never drifts from the API.
 */
describe("the @berth/client schema", () => {
  const dir = mkdtempSync(join(tmpdir(), "berth-client-schema-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("is what openapi-typescript makes of the current document", async () => {
    const document = join(dir, "openapi.json");
    writeFileSync(document, `${JSON.stringify(await openApiDocument(), null, 2)}\n`);
    await generate(document, join(dir, "schema.ts"));
    const fresh = readFileSync(join(dir, "schema.ts"), "utf8");
    const checkedIn = readFileSync(SCHEMA, "utf8");
    if (fresh !== checkedIn)
      expect.fail(
        "packages/client/src/schema.ts differs from the OpenAPI document: run npm run client:generate",
      );
  }, 60_000);

  it("runs the generator with the same options as npm run client:generate", () => {
    const scripts = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).scripts as Record<
      string,
      string
    >;
    expect(scripts["client:generate"]).toContain(
      'openapi-typescript "$doc" --default-non-nullable false --output packages/client/src/schema.ts',
    );
  });
});
