// The OpenAPI document the server serves, written to FILE (or stdout), for linting and client generators:
//   npx tsx scripts/openapi-document.ts [FILE]
import { writeFile } from "node:fs/promises";
import { pathToFileURL } from "node:url";
import { createApi } from "../src/api/create-api.js";
import type { ApiServices } from "../src/api/services.js";
import { VERSION } from "../src/version.js";

/** Routes take their services when registered but call them only when served: any call here is a bug. */
const uncallable = new Proxy({} as ApiServices, {
  get: (_, service) =>
    new Proxy(
      {},
      {
        get: (_, method) => () => {
          throw new Error(`services.${String(service)}.${String(method)} called while building the document`);
        },
      },
    ),
});

/** The document exactly as GET /api/v1/openapi.json answers it, from an API with no server behind it. */
export async function openApiDocument(): Promise<Record<string, unknown>> {
  const api = createApi({
    services: uncallable,
    authenticate: async () => undefined,
    version: VERSION,
    logError: (err) => {
      throw err;
    },
  });
  const res = await api.request("/api/v1/openapi.json");
  if (res.status !== 200) throw new Error(`GET /api/v1/openapi.json answered ${res.status}`);
  return (await res.json()) as Record<string, unknown>;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const text = `${JSON.stringify(await openApiDocument(), null, 2)}\n`;
  const file = process.argv[2];
  if (file) await writeFile(file, text);
  else process.stdout.write(text);
}
