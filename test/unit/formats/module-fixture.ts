import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { CapabilityManifest } from "../../../src/domain/capability-module.js";
import { lintModule } from "../../../src/formats/lint-module.js";
import type { ModuleFile } from "../../../src/formats/module-files.js";
import { readModuleFolder } from "../../../src/formats/read-module-folder.js";

/** The modules that ship with Berth. */
export const CAPABILITIES = resolve(fileURLToPath(new URL("../../../capabilities", import.meta.url)));

/**
 * A small but complete module: two images, a second service whose replicas come from a
 * parameter, a binding that makes users, a backup. `id` is on line 2.
 */
export const MANIFEST = [
  "apiVersion: berth.dev/capability/v1",
  "id: cache",
  "title: Cache",
  "version: 1.0.0",
  'serviceVersion: "7.0"',
  "maturity: stable",
  "plans:",
  "  small:",
  "    cpus: 0.5",
  "    memoryMb: 256",
  "    default: true",
  "  large:",
  "    cpus: 2",
  "    memoryMb: 2048",
  "parameters:",
  "  create:",
  "    type: object",
  "    additionalProperties: false",
  "    properties:",
  "      policy:",
  "        type: string",
  "        enum: [noeviction, allkeys-lru]",
  "        default: noeviction",
  "      workers:",
  "        type: integer",
  "        minimum: 1",
  "        default: 2",
  "secrets:",
  "  admin_password:",
  "    length: 24",
  "images:",
  "  server:",
  "    context: images/server",
  "  tools:",
  "    context: images/tools",
  "services:",
  "  server:",
  "    image: server",
  "    port: 6379",
  "    env:",
  "      POLICY: ${PARAM_POLICY}",
  "      ADMIN_PASSWORD: ${SECRET_ADMIN_PASSWORD}",
  "      MAXMEMORY_MB: ${PLAN_MEMORY_MB * 3 / 4}",
  "  worker:",
  "    image: tools",
  "    port: 7000",
  "    replicas: {param: workers}",
  "    env:",
  "      SERVER: ${HOST}:${PORT}",
  "binding:",
  "  type: redis",
  "  service: server",
  "  create:",
  "    image: tools",
  "    command: [/usr/local/lib/berth/bind]",
  "  delete:",
  "    command: [/usr/local/lib/berth/unbind]",
  "  credentials:",
  "    host: ${HOST}",
  "    port: ${PORT}",
  "    username: ${BINDING_USERNAME}",
  "    password: ${BINDING_PASSWORD}",
  "    uri: redis://${BINDING_USERNAME}:${BINDING_PASSWORD}@${HOST}:${PORT}",
  "  env:",
  "    REDIS_URL: ${CREDENTIAL_URI}",
  "backup:",
  "  service: server",
  "  backup:",
  "    command: [/usr/local/lib/berth/backup]",
  "  restore:",
  "    command: [/usr/local/lib/berth/restore]",
  "",
].join("\n");

export const SERVER_DOCKERFILE = "FROM berth/debian:bookworm\nCOPY hooks/ /usr/local/lib/berth/\n";
export const TOOLS_DOCKERFILE = "FROM berth/debian:bookworm\nRUN true\n";

export const file = (path: string, data: string | Buffer, mode = 0o644): ModuleFile => ({
  path,
  mode,
  data: typeof data === "string" ? Buffer.from(data) : data,
});

/** The fixture module as files; `over` replaces (or, with null, removes) files by path. */
export function moduleFiles(over: Record<string, string | null> = {}): ModuleFile[] {
  const base: Record<string, string | null> = {
    "capability.yaml": MANIFEST,
    "images/server/Dockerfile": SERVER_DOCKERFILE,
    "images/server/hooks/bind": "#!/bin/sh\nexit 0\n",
    "images/tools/Dockerfile": TOOLS_DOCKERFILE,
    ...over,
  };
  return Object.entries(base).flatMap(([path, data]) =>
    data === null ? [] : [file(path, data, path.includes("/hooks/") ? 0o755 : 0o644)],
  );
}

/** The fixture's manifest with one exact piece of text replaced; fails loudly if it is not there. */
export function edit(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`fixture has no ${JSON.stringify(from)}`);
  return text.replace(from, to);
}

/** 1-based number of the line that is exactly `line`; fails loudly if there is none or several. */
export function lineOf(text: string, line: string): number {
  const all = text.split("\n");
  const at = all.indexOf(line);
  if (at < 0 || all.indexOf(line, at + 1) >= 0) throw new Error(`no single line ${JSON.stringify(line)}`);
  return at + 1;
}

/** The fixture manifest as lint parses it (defaults applied). */
export function fixtureManifest(): CapabilityManifest {
  const { manifest, problems } = lintModule(moduleFiles());
  if (!manifest) throw new Error(`fixture does not lint: ${JSON.stringify(problems)}`);
  return manifest;
}

/** A shipped module as lint parses it. */
export function shippedManifest(name: string): CapabilityManifest {
  const { manifest, problems } = lintModule(readModuleFolder(resolve(CAPABILITIES, name)));
  if (!manifest) throw new Error(`${name} does not lint: ${JSON.stringify(problems)}`);
  return manifest;
}
