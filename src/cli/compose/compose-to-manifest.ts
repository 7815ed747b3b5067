import { parseDocument } from "yaml";
import type { ManifestFileInput } from "../../domain/manifest.js";
import { CliError } from "../cli-error.js";
import { mapService } from "./compose-service.js";
import type { ServiceContext } from "./compose-settings.js";
import { DNS_LABEL, isObject, nameProblem } from "./compose-values.js";
import { interpolateTree, type Lookup } from "./interpolate.js";
import { parseEnvFile } from "./parse-env-file.js";

/**
 * A docker-compose file → a berth.yaml manifest for one environment of one tenant. Pure: the caller
 * reads files and the environment. Everything the file says is either mapped, noted (mapped loosely or
 * harmlessly ignored) or reported as a problem; any problem makes the whole import fail at once.
 */

export interface ComposeInput {
  /** The compose file's text. */
  text: string;
  /** For messages. */
  fileName: string;
  tenant: string;
  env: string;
  /** Reads a file relative to the compose file's directory (env_file, .env); throws if missing. */
  readFile(relativePath: string): string;
  /** The user's environment, for compose's variable interpolation (like `docker compose` does). */
  environ: Readonly<Record<string, string | undefined>>;
}

/** A service to build; `context` (and `dockerfile`, relative to it) as the compose file says them. */
export interface ComposeBuild {
  app: string;
  context: string;
  dockerfile?: string;
}

export interface ComposeImport {
  manifest: ManifestFileInput;
  /** Services with `build:`; the CLI builds them and then sets apps[app].envs[env].image. */
  builds: ComposeBuild[];
  /** Apps in depends_on order (dependencies first); cycles are an error. */
  order: string[];
  /** Human-readable lines about what was mapped loosely or ignored. */
  notes: string[];
}

/** The compose file cannot be imported; `problems` lists every reason, and so does the message. */
export class ComposeError extends CliError {
  constructor(
    readonly problems: string[],
    fileName = "the compose file",
  ) {
    super(`${fileName} cannot be imported:\n${problems.map((p) => `  ${p}`).join("\n")}`);
    this.name = "ComposeError";
  }
}

type ManifestApp = NonNullable<ManifestFileInput["apps"]>[string];
type Problem = (path: string, message: string) => void;

const TOP_LEVEL_REASONS: Record<string, string> = {
  secrets: "declare secrets in berth.yaml with fromEnv or fromFile",
  configs: "declare config files under files in berth.yaml",
  include: "import each compose file on its own",
};
const VOLUME_REASONS: Record<string, string> = {
  driver: "Berth creates the environment's volumes itself",
  driver_opts: "Berth creates the environment's volumes itself",
  external: "Berth creates the environment's volumes itself",
  name: "a volume is named by its key",
};
const ONE_NETWORK = "every app joins its environment's network";

export function composeToManifest(input: ComposeInput): ComposeImport {
  const { fileName, tenant, env } = input;
  const root = parseYaml(input.text, fileName);
  const problems: string[] = [];
  const notes: string[] = [];
  const problem: Problem = (path, message) => problems.push(`${path}: ${message}`);
  if (!DNS_LABEL.test(tenant)) problem("tenant", `"${tenant}" is not a DNS label`);
  if (!DNS_LABEL.test(env)) problem("environment", `"${env}" is not a DNS label`);

  const unset: string[] = [];
  const addUnset = (name: string) => {
    if (!unset.includes(name)) unset.push(name);
  };
  const lookup = environment(input, notes);
  const tree = interpolateTree(root, lookup, problem, addUnset) as Record<string, unknown>;

  let services: Record<string, unknown> = {};
  let declared = new Set<string>();
  for (const [key, value] of Object.entries(tree)) {
    if (key === "services") {
      if (isObject(value) && Object.keys(value).length > 0) services = value;
      else problem("services", "expected a mapping of services");
    } else if (key === "volumes") declared = declareVolumes(value, problem, notes);
    else if (key === "networks") topLevelNetworks(value, problem, notes);
    else if (key === "version") notes.push("version ignored (obsolete in the Compose Specification)");
    else if (key === "name") notes.push(`name ignored (the apps go to tenant ${tenant})`);
    else if (key.startsWith("x-")) notes.push(`${key} ignored (an extension field)`);
    else
      problem(
        key,
        `not supported${Object.hasOwn(TOP_LEVEL_REASONS, key) ? ` (${TOP_LEVEL_REASONS[key]})` : ""}`,
      );
  }
  if (!("services" in tree)) problem("services", "missing: there is nothing to import");

  const names = new Set(Object.keys(services));
  const apps: Record<string, ManifestApp> = {};
  const builds: ComposeBuild[] = [];
  const graph = new Map<string, string[]>();
  const mounted = new Set<string>();
  for (const [name, service] of Object.entries(services)) {
    const path = `services.${name}`;
    graph.set(name, []);
    const badName = nameProblem("app", name);
    if (badName) problem(path, badName);
    if (!isObject(service)) {
      problem(path, "expected a mapping");
      continue;
    }
    const ctx: ServiceContext = {
      name,
      path,
      services: names,
      volumes: declared,
      lookup,
      readFile: input.readFile,
      problem,
      note: (message) => notes.push(`${name}: ${message}`),
      unset: addUnset,
    };
    const mapped = mapService(service, ctx);
    apps[name] = {
      ...(mapped.dependsOn.length > 0 ? { dependsOn: mapped.dependsOn } : {}),
      envs: { [env]: mapped.env },
    };
    if (mapped.build) builds.push({ app: name, ...mapped.build });
    graph.set(name, mapped.dependsOn);
    for (const volume of mapped.env.resources?.volumes ?? []) mounted.add(volume.name);
  }
  for (const volume of declared)
    if (!mounted.has(volume)) notes.push(`volumes.${volume} ignored (no service mounts it)`);
  for (const name of unset)
    notes.push(`${name} is not set: it was interpolated as an empty string (as docker compose does)`);

  const order = dependencyOrder(graph, problem);
  if (problems.length > 0) throw new ComposeError(inFileOrder(problems, Object.keys(tree)), fileName);
  const manifest: ManifestFileInput = { apiVersion: "berth/v1", tenant, environments: { [env]: {} }, apps };
  return { manifest, builds, order, notes };
}

/** Problems sorted (stably) by the position of their top-level key in the file. */
function inFileOrder(problems: string[], keys: string[]): string[] {
  const rank = (p: string) => keys.indexOf(/^[^.:[]*/.exec(p)?.[0] ?? "");
  return problems
    .map((p, i) => ({ p, i, r: rank(p) }))
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .map((x) => x.p);
}

function parseYaml(text: string, fileName: string): Record<string, unknown> {
  const doc = parseDocument(text, { merge: true });
  const firstLine = (message: string) => (message.split("\n")[0] ?? "").replace(/:$/, "");
  if (doc.errors.length > 0)
    throw new ComposeError(
      doc.errors.map((e) => `${fileName}: ${firstLine(e.message)}`),
      fileName,
    );
  let root: unknown;
  try {
    root = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new ComposeError(
      [`${fileName}: ${error instanceof Error ? error.message : String(error)}`],
      fileName,
    );
  }
  if (!isObject(root)) throw new ComposeError([`${fileName}: expected a mapping with services`], fileName);
  return root;
}

/**
 * Compose interpolates from the shell's environment and then from the `.env` file next to the
 * compose file, if there is one (the shell wins).
 */
function environment(input: ComposeInput, notes: string[]): Lookup {
  const fromShell: Lookup = (name) => (Object.hasOwn(input.environ, name) ? input.environ[name] : undefined);
  let text: string;
  try {
    text = input.readFile(".env");
  } catch {
    return fromShell;
  }
  const dotEnv = parseEnvFile(text, fromShell);
  notes.push(`.env read for interpolation (${dotEnv.values.size} variables; your environment wins)`);
  for (const problem of dotEnv.problems) notes.push(`.env ${problem} (ignored)`);
  return (name) => fromShell(name) ?? dotEnv.values.get(name);
}

function declareVolumes(value: unknown, problem: Problem, notes: string[]): Set<string> {
  const names = new Set<string>();
  if (value === null) return names;
  if (!isObject(value)) {
    problem("volumes", "expected a mapping of volume names");
    return names;
  }
  for (const [name, spec] of Object.entries(value)) {
    names.add(name);
    const badName = nameProblem("volume", name);
    if (badName) problem(`volumes.${name}`, badName);
    if (spec === null) continue;
    if (!isObject(spec)) {
      problem(`volumes.${name}`, "expected a mapping");
      continue;
    }
    for (const key of Object.keys(spec)) {
      if (key === "labels") notes.push(`volumes.${name}.labels ignored`);
      else
        problem(
          `volumes.${name}.${key}`,
          `not supported${Object.hasOwn(VOLUME_REASONS, key) ? ` (${VOLUME_REASONS[key]})` : ""}`,
        );
    }
  }
  return names;
}

function topLevelNetworks(value: unknown, problem: Problem, notes: string[]): void {
  if (value === null) return;
  if (!isObject(value)) return problem("networks", "expected a mapping");
  for (const [name, spec] of Object.entries(value)) {
    const plain = spec === null || (isObject(spec) && Object.keys(spec).length === 0);
    if (name === "default" && plain) notes.push(`networks.default ignored (${ONE_NETWORK})`);
    else problem(`networks.${name}`, `not supported (${ONE_NETWORK})`);
  }
}

/** Dependencies first, otherwise in the file's order; each cycle is a problem. */
function dependencyOrder(graph: Map<string, string[]>, problem: Problem): string[] {
  const order: string[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (name: string, trail: string[]) => {
    if (state.get(name) === "done") return;
    if (state.get(name) === "visiting") {
      const cycle = [...trail.slice(trail.indexOf(name)), name];
      problem(`services.${name}.depends_on`, `a cycle: ${cycle.join(" → ")}`);
      return;
    }
    state.set(name, "visiting");
    for (const dep of graph.get(name) ?? []) visit(dep, [...trail, name]);
    state.set(name, "done");
    order.push(name);
  };
  for (const name of graph.keys()) visit(name, []);
  return order;
}
