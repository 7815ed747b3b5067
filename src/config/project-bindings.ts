import type { ReleaseSnapshot } from "./resolve-release.js";

/** Where bound apps find their bindings (servicebinding.io's SERVICE_BINDING_ROOT). */
export const SERVICE_BINDING_ROOT = "/bindings";

/** One binding as a release carries it: its files and the env vars its module declares. */
export interface ProjectedBinding {
  name: string;
  /** Key → value: type, provider, host, port, username, password, uri, ... */
  files: Record<string, string>;
  env: Record<string, string>;
}

const prefixOf = (name: string) => name.toUpperCase().replace(/-/g, "_");

/**
 * Adds an app's bindings to a resolved release: each key a secret file under
 * SERVICE_BINDING_ROOT/<name>/ (mounted read-only, never in the image), each declared env var a
 * secret env var. The app's own config wins over a binding's env var of the same name; a name a
 * binding made earlier already set is given as NAME_VAR (e.g. a second PostgreSQL binding
 * `reports` gets REPORTS_DATABASE_URL). Bindings come in the order they were made.
 */
export function projectBindings(
  snapshot: ReleaseSnapshot,
  bindings: readonly ProjectedBinding[],
): ReleaseSnapshot {
  if (bindings.length === 0) return snapshot;
  const own = new Set([...Object.keys(snapshot.env), ...Object.keys(snapshot.secretEnv)]);
  const fromBindings: Record<string, string> = Object.create(null);
  const files = [];
  for (const b of bindings) {
    for (const [key, value] of Object.entries(b.files))
      files.push({ path: `${SERVICE_BINDING_ROOT}/${b.name}/${key}`, content: value });
    for (const [key, value] of Object.entries(b.env)) {
      const name = Object.hasOwn(fromBindings, key) ? `${prefixOf(b.name)}_${key}` : key;
      if (!own.has(name)) fromBindings[name] = value;
    }
  }
  return {
    ...snapshot,
    env: own.has("SERVICE_BINDING_ROOT") ? snapshot.env : { ...snapshot.env, SERVICE_BINDING_ROOT },
    secretEnv: { ...fromBindings, ...snapshot.secretEnv },
    secretFiles: [...snapshot.secretFiles, ...files],
  };
}
