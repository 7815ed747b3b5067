import type { ManifestFileInput } from "../../domain/manifest.js";
import {
  containerPathProblem,
  cpuCount,
  durationSeconds,
  type HealthTest,
  isObject,
  memoryMiB,
  type PortSpec,
  parseHealthTest,
  parseVolume,
  show,
} from "./compose-values.js";
import type { Lookup } from "./interpolate.js";

/**
 * How one compose service's keys become Berth settings (resources): deploy, healthcheck, restart,
 * command and volumes, plus the legacy `cpus` / `mem_limit` / `scale`. Ports and config are in
 * compose-service.ts, which combines all of it.
 */

type ManifestApp = NonNullable<ManifestFileInput["apps"]>[string];
export type ManifestAppEnv = NonNullable<ManifestApp["envs"]>[string];
export type Resources = NonNullable<ManifestAppEnv["resources"]>;

export interface ServiceContext {
  /** The service's name, which becomes the app's. */
  name: string;
  /** `services.<name>`, for problems. */
  path: string;
  services: ReadonlySet<string>;
  /** Named volumes declared in the top-level `volumes:`. */
  volumes: ReadonlySet<string>;
  lookup: Lookup;
  readFile(relativePath: string): string;
  problem(path: string, message: string): void;
  /** A note about this service; the service's name is prefixed. */
  note(message: string): void;
  /** A variable interpolated as "" because it is not set. */
  unset(name: string): void;
}

export interface ConfigValue {
  value: string;
  /** Where the key was set, for problems, e.g. `services.web.environment`. */
  where: string;
}

/** What a service's keys say, collected key by key; compose-service.ts turns it into an app env. */
export interface Draft {
  ctx: ServiceContext;
  image?: string;
  build?: { context: string; dockerfile?: string };
  fileConfig: Map<string, ConfigValue>;
  envConfig: Map<string, ConfigValue>;
  ports: PortSpec[];
  expose: PortSpec[];
  health?: HealthTest;
  resources: Resources;
  /** Which key set each resource, to report two keys that disagree. */
  setBy: Map<keyof Resources, string>;
  dependsOn: string[];
}

export type Handler = (value: unknown, d: Draft, path: string) => void;

function set<K extends keyof Resources>(d: Draft, key: K, value: Resources[K], path: string): void {
  const earlier = d.setBy.get(key);
  if (earlier !== undefined && JSON.stringify(d.resources[key]) !== JSON.stringify(value)) {
    d.ctx.problem(path, `conflicts with ${earlier}`);
    return;
  }
  d.resources[key] = value;
  d.setBy.set(key, path);
}

function setCpus(value: unknown, d: Draft, path: string): void {
  const cpus = cpuCount(value);
  if (typeof cpus === "string") d.ctx.problem(path, cpus);
  else if (cpus < 0.01 || cpus > 256) d.ctx.problem(path, `${show(value)}: Berth allows 0.01 to 256 CPUs`);
  else set(d, "cpus", cpus, path);
}

function setMemory(value: unknown, d: Draft, path: string): void {
  const mb = memoryMiB(value);
  if (typeof mb === "string") d.ctx.problem(path, mb);
  else if (mb < 6 || mb > 4_194_304) d.ctx.problem(path, `${show(value)}: Berth allows 6 MiB to 4 TiB`);
  else set(d, "memoryMb", mb, path);
}

function setReplicas(value: unknown, d: Draft, path: string): void {
  if (typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= 100)
    set(d, "replicas", value, path);
  else d.ctx.problem(path, `${show(value)}: expected a whole number from 0 to 100`);
}

const RESTART: Record<string, Resources["restart"]> = {
  no: "no",
  always: "always",
  "on-failure": "on-failure",
  "unless-stopped": "unless-stopped",
};
const CONDITION: Record<string, Resources["restart"]> = {
  none: "no",
  "on-failure": "on-failure",
  any: "always",
};
const HEALTH_TIMING = ["interval", "timeout", "retries", "start_interval"];

function unsupported(d: Draft, path: string, key: string, reason?: string): void {
  d.ctx.problem(`${path}.${key}`, `not supported${reason ? ` (${reason})` : ""}`);
}

const restart: Handler = (value, d, path) => {
  const retries = typeof value === "string" ? /^on-failure:(\d+)$/.exec(value) : null;
  if (retries) {
    set(d, "restart", "on-failure", path);
    d.ctx.note(`restart ${value} → on-failure (Berth does not limit the retries)`);
  } else if (typeof value === "string" && Object.hasOwn(RESTART, value))
    set(d, "restart", RESTART[value], path);
  else d.ctx.problem(path, `${show(value)} is not no, always, on-failure or unless-stopped`);
};

function restartPolicy(value: unknown, d: Draft, path: string): void {
  if (!isObject(value)) return d.ctx.problem(path, "expected a mapping");
  const condition = value.condition ?? "any";
  if (typeof condition === "string" && Object.hasOwn(CONDITION, condition))
    set(d, "restart", CONDITION[condition], `${path}.condition`);
  else d.ctx.problem(`${path}.condition`, `${show(condition)} is not none, on-failure or any`);
  for (const key of Object.keys(value)) {
    if (key === "condition") continue;
    if (["delay", "max_attempts", "window"].includes(key))
      d.ctx.note(`deploy.restart_policy.${key} ignored (Docker's restart policy decides)`);
    else unsupported(d, path, key);
  }
}

function deployResources(value: unknown, d: Draft, path: string): void {
  if (!isObject(value)) return d.ctx.problem(path, "expected a mapping");
  for (const [key, group] of Object.entries(value)) {
    if (key === "reservations") unsupported(d, path, key, "reservations arrive with placement on Swarm");
    else if (key !== "limits") unsupported(d, path, key);
    else if (!isObject(group)) d.ctx.problem(`${path}.limits`, "expected a mapping");
    else
      for (const [limit, amount] of Object.entries(group)) {
        if (limit === "cpus") setCpus(amount, d, `${path}.limits.cpus`);
        else if (limit === "memory") setMemory(amount, d, `${path}.limits.memory`);
        else unsupported(d, `${path}.limits`, limit);
      }
  }
}

const deploy: Handler = (value, d, path) => {
  if (!isObject(value)) return d.ctx.problem(path, "expected a mapping");
  for (const [key, item] of Object.entries(value)) {
    const at = `${path}.${key}`;
    if (key === "replicas") setReplicas(item, d, at);
    else if (key === "resources") deployResources(item, d, at);
    else if (key === "restart_policy") restartPolicy(item, d, at);
    else if (key === "mode" && item === "replicated")
      d.ctx.note("deploy.mode replicated ignored (it is the default)");
    else unsupported(d, path, key);
  }
};

const healthcheck: Handler = (value, d, path) => {
  if (!isObject(value)) return d.ctx.problem(path, "expected a mapping");
  const timing: string[] = [];
  for (const [key, item] of Object.entries(value)) {
    if (key === "test") {
      const test = parseHealthTest(item);
      if (typeof test === "string") d.ctx.problem(`${path}.test`, test);
      else if (value.disable !== true) d.health = test;
    } else if (key === "disable") {
      if (item === true) d.health = { kind: "none" };
      else if (item !== false) d.ctx.problem(`${path}.disable`, "expected true or false");
    } else if (key === "start_period") {
      const seconds = durationSeconds(item);
      if (typeof seconds === "string") d.ctx.problem(`${path}.start_period`, seconds);
      else if (seconds > 3600) d.ctx.problem(`${path}.start_period`, `${show(item)}: Berth waits at most 1h`);
      else set(d, "healthTimeout", Math.max(1, Math.ceil(seconds)), `${path}.start_period`);
    } else if (HEALTH_TIMING.includes(key)) timing.push(key);
    else unsupported(d, path, key);
  }
  if (timing.length > 0)
    d.ctx.note(`healthcheck ${timing.join(", ")} ignored (Berth's probe timing is its own)`);
};

const command: Handler = (value, d, path) => {
  const scalar = (w: unknown) => typeof w === "string" || typeof w === "number" || typeof w === "boolean";
  if (Array.isArray(value) && value.length >= 1 && value.length <= 64 && value.every(scalar))
    set(d, "command", value.map(String), path);
  else if (Array.isArray(value)) d.ctx.problem(path, "expected a list of 1 to 64 strings");
  else if (typeof value !== "string" || value.trim() === "")
    d.ctx.problem(path, "expected a list of strings");
  else if (/["'\\$]/.test(value))
    d.ctx.problem(
      path,
      `${show(value)}: write it as a list, e.g. ["sh", "-c", "..."] (a string with quotes, backslashes or $ is not split)`,
    );
  else set(d, "command", value.trim().split(/\s+/), path);
};

const VOLUME_KINDS: Record<string, string> = {
  bind: "bind mounts are not supported (host mounts are not allowed)",
  tmpfs: "tmpfs mounts are not supported",
  anonymous: "anonymous volumes are not supported; name the volume and declare it in the top-level volumes",
};

const volumes: Handler = (value, d, path) => {
  if (!Array.isArray(value)) return d.ctx.problem(path, "expected a list");
  const mounts: { name: string; path: string }[] = [];
  for (const entry of value) {
    const spec = parseVolume(entry);
    const problem = (message: string) => d.ctx.problem(path, `${show(entry)}: ${message}`);
    if (typeof spec === "string") d.ctx.problem(path, spec);
    else if (spec.kind !== "volume")
      problem(VOLUME_KINDS[spec.kind] ?? `volumes of type ${show(spec.type)} are not supported`);
    else {
      const pathProblem = containerPathProblem(spec.target);
      if (!d.ctx.volumes.has(spec.name))
        problem(`volume "${spec.name}" is not declared in the top-level volumes`);
      else if (spec.readOnly) problem("read-only mounts are not supported (Berth mounts volumes read-write)");
      else if (spec.options.length > 0) problem(`${spec.options.join(", ")}: not supported`);
      else if (pathProblem) problem(pathProblem);
      else mounts.push({ name: spec.name, path: spec.target });
    }
  }
  if (mounts.length > 16) d.ctx.problem(path, `${mounts.length} volumes; Berth mounts at most 16`);
  else if (mounts.length > 0) set(d, "volumes", mounts, path);
};

export const SETTING_HANDLERS: Record<string, Handler> = {
  deploy,
  healthcheck,
  restart,
  command,
  volumes,
  cpus: setCpus,
  mem_limit: setMemory,
  scale: setReplicas,
};
