import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { LineCounter, type Node, parseDocument } from "yaml";
import type { Manifest } from "../domain/manifest.js";
import { yamlNodeAt } from "../formats/yaml-node-at.js";
import { CliError } from "./cli-error.js";
import { readLocalFile } from "./read-local-file.js";

export interface LoadedManifest {
  manifest: Manifest;
  /** "file:line" for a path into the document (the deepest part of it that exists). */
  where(path: readonly (string | number)[] | string): string;
}

/**
 * Reads berth.yaml, resolving secrets given as fromEnv / fromFile on this machine (the server
 * never sees where they came from). The server validates everything else.
 */
export function loadManifest(file: string, environ: NodeJS.ProcessEnv = process.env): LoadedManifest {
  const text = readLocalFile(file);
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const pos = e ? lines.linePos(e.pos[0]) : { line: 1 };
    throw new CliError(`${file}:${pos.line}: ${e?.message.split("\n")[0] ?? "invalid YAML"}`);
  }
  const where = (path: readonly (string | number)[] | string) => {
    const node = yamlNodeAt(doc.contents as Node | null, typeof path === "string" ? path : path.map(String));
    const offset = node?.range?.[0] ?? 0;
    return `${file}:${lines.linePos(offset).line}`;
  };
  const raw = doc.toJS() as unknown;
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    throw new CliError(`${file}:1: berth.yaml must be a mapping with apiVersion, tenant, apps...`);
  const manifest = raw as Manifest & Record<string, unknown>;
  const base = dirname(resolve(file));
  const layers: [Record<string, unknown> | undefined, string[]][] = [[manifest, []]];
  for (const [name, e] of Object.entries(asRecord(manifest.environments)))
    layers.push([asRecord(e), ["environments", name]]);
  for (const [name, a] of Object.entries(asRecord(manifest.apps))) {
    layers.push([asRecord(a), ["apps", name]]);
    for (const [env, e] of Object.entries(asRecord(asRecord(a).envs)))
      layers.push([asRecord(e), ["apps", name, "envs", env]]);
  }
  for (const [layer, path] of layers) {
    const secrets = asRecord(layer?.secrets);
    for (const [key, source] of Object.entries(secrets)) {
      const at = () => where([...path, "secrets", key]);
      const s = source as { fromEnv?: unknown; fromFile?: unknown } | null;
      if (s && typeof s === "object" && typeof s.fromEnv === "string") {
        const value = environ[s.fromEnv];
        if (value === undefined)
          throw new CliError(`${at()}: secret ${key} reads $${s.fromEnv}, which is not set`);
        secrets[key] = { value };
      } else if (s && typeof s === "object" && typeof s.fromFile === "string") {
        try {
          secrets[key] = { value: readFileSync(resolve(base, s.fromFile), "utf8").replace(/\r?\n$/, "") };
        } catch (error) {
          throw new CliError(
            `${at()}: secret ${key}: cannot read ${s.fromFile} (${(error as NodeJS.ErrnoException).code})`,
          );
        }
      }
    }
  }
  return { manifest, where };
}

function asRecord(v: unknown): Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}
