import {
  type ConfigValue,
  type Draft,
  type Handler,
  type ManifestAppEnv,
  type Resources,
  SETTING_HANDLERS,
  type ServiceContext,
} from "./compose-settings.js";
import { CONFIG_KEY, isObject, type PortSpec, parseExpose, parsePort, show } from "./compose-values.js";
import { parseEnvFile } from "./parse-env-file.js";

/** One compose service → one app environment (image, config, resources), its build and its dependencies. */

export interface MappedService {
  env: ManifestAppEnv;
  build?: { context: string; dockerfile?: string };
  dependsOn: string[];
}

/** Harmless keys, dropped with a note. */
const IGNORED: Record<string, string> = {
  container_name: "Berth names the containers",
  hostname: "apps reach each other by app name",
  labels: "Berth labels its containers itself",
  logging: "Berth keeps the engine's logging",
  stdin_open: "apps run detached",
  tty: "apps run detached",
  init: "Berth runs the image as it is",
  stop_grace_period: "Berth stops containers its own way",
  stop_signal: "Berth stops containers its own way",
};

/** Why some keys cannot be imported; any other unknown key is simply "not supported". */
const REASONS: Record<string, string> = {
  privileged: "tenants get no host privileges",
  cap_add: "tenants get no extra capabilities",
  cap_drop: "Berth sets the capabilities",
  devices: "host devices are not allowed",
  network_mode: "every app joins its environment's network",
  pid: "host namespaces are not allowed",
  ipc: "host namespaces are not allowed",
  userns_mode: "host namespaces are not allowed",
  user: "set USER in the image",
  working_dir: "set WORKDIR in the image",
  entrypoint: "set ENTRYPOINT in the image, or use command",
  security_opt: "Berth sets the security options",
  sysctls: "kernel parameters belong to the host",
  extra_hosts: "apps reach each other by app name",
  links: "apps reach each other by app name",
  external_links: "apps reach each other by app name",
  secrets: "declare secrets in berth.yaml with fromEnv or fromFile",
  configs: "declare config files under files in berth.yaml",
  extends: "write the service out in full",
  profiles: "import only the services you want",
  tmpfs: "tmpfs mounts are not supported",
  volumes_from: "share a named volume instead",
};

const image: Handler = (value, d, path) => {
  if (typeof value === "string" && value.trim() !== "") d.image = value.trim();
  else d.ctx.problem(path, "expected an image reference");
};

const build: Handler = (value, d, path) => {
  const spec = typeof value === "string" ? { context: value } : isObject(value) ? value : undefined;
  if (!spec) return d.ctx.problem(path, "expected a context directory or { context, dockerfile }");
  for (const key of Object.keys(spec))
    if (key !== "context" && key !== "dockerfile")
      d.ctx.problem(`${path}.${key}`, "not supported (Berth builds from the context and Dockerfile alone)");
  const context = spec.context ?? ".";
  const dockerfile = spec.dockerfile;
  if (typeof context !== "string" || context.trim() === "")
    return d.ctx.problem(`${path}.context`, "expected a directory");
  if (/^([a-z]+:\/\/|git@)/i.test(context))
    return d.ctx.problem(`${path}.context`, `${show(context)}: remote build contexts are not supported`);
  if (dockerfile !== undefined && (typeof dockerfile !== "string" || dockerfile.trim() === ""))
    return d.ctx.problem(`${path}.dockerfile`, "expected a file name");
  d.build = dockerfile === undefined ? { context } : { context, dockerfile };
};

function fromEnviron(d: Draft, key: string, where: string, into: Map<string, ConfigValue>): void {
  const value = d.ctx.lookup(key);
  if (value === undefined) d.ctx.note(`environment ${key} left out (it is not set in your environment)`);
  else into.set(key, { value, where });
}

const environment: Handler = (value, d, path) => {
  const into = d.envConfig;
  if (Array.isArray(value)) {
    for (const item of value) {
      const eq = typeof item === "string" ? item.indexOf("=") : 0;
      if (typeof item !== "string" || eq === 0 || item === "")
        d.ctx.problem(path, `${show(item)}: expected KEY=VALUE`);
      else if (eq < 0) fromEnviron(d, item, path, into);
      else into.set(item.slice(0, eq), { value: item.slice(eq + 1), where: path });
    }
  } else if (isObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      if (item === null || item === undefined) fromEnviron(d, key, path, into);
      else if (typeof item === "string" || typeof item === "number" || typeof item === "boolean")
        into.set(key, { value: String(item), where: path });
      else d.ctx.problem(`${path}.${key}`, "expected a string, number or boolean");
    }
  } else d.ctx.problem(path, "expected a list of KEY=VALUE or a mapping");
};

const envFile: Handler = (value, d, path) => {
  for (const entry of Array.isArray(value) ? value : [value]) {
    const file = typeof entry === "string" ? entry : isObject(entry) ? entry.path : undefined;
    if (typeof file !== "string" || file === "") {
      d.ctx.problem(path, `${show(entry)}: expected a file name`);
      continue;
    }
    const required = !isObject(entry) || entry.required !== false;
    for (const key of isObject(entry) ? Object.keys(entry) : [])
      if (key !== "path" && key !== "required") d.ctx.problem(path, `${file}: ${key} is not supported`);
    let text: string;
    try {
      text = d.ctx.readFile(file);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      if (required) d.ctx.problem(path, `cannot read ${file}: ${why}`);
      else d.ctx.note(`env_file ${file} skipped (it cannot be read and is not required)`);
      continue;
    }
    const parsed = parseEnvFile(text, d.ctx.lookup);
    for (const problem of parsed.problems) d.ctx.problem(path, `${file} ${problem}`);
    for (const name of parsed.unset) d.ctx.unset(name);
    for (const key of parsed.missing)
      d.ctx.note(`env_file ${file}: ${key} left out (it is not set in your environment)`);
    for (const [key, item] of parsed.values)
      d.fileConfig.set(key, { value: item, where: `${path} (${file})` });
  }
};

function portList(parse: (entry: unknown) => PortSpec | string): Handler {
  return (value, d, path) => {
    if (!Array.isArray(value)) return d.ctx.problem(path, "expected a list");
    const into = path.endsWith(".ports") ? d.ports : d.expose;
    for (const entry of value) {
      const spec = parse(entry);
      if (typeof spec === "string") d.ctx.problem(path, spec);
      else if (spec.protocol !== "tcp")
        d.ctx.problem(path, `${show(entry)}: only TCP ports are supported (${spec.protocol} is not)`);
      else into.push(spec);
    }
  };
}

const dependsOn: Handler = (value, d, path) => {
  const entries = Array.isArray(value)
    ? value.map((name) => [String(name), undefined] as const)
    : isObject(value)
      ? Object.entries(value)
      : undefined;
  if (!entries) return d.ctx.problem(path, "expected a list of services or a mapping");
  for (const [dep, options] of entries) {
    if (!d.ctx.services.has(dep)) {
      d.ctx.problem(path, `unknown service "${dep}"`);
      continue;
    }
    if (isObject(options)) {
      for (const [key, item] of Object.entries(options)) {
        if (key === "condition")
          d.ctx.note(
            `depends_on ${dep} (condition ${item}) → dependsOn: Berth deploys ${dep} first and waits for it to be healthy`,
          );
        else if (key === "restart" || key === "required") d.ctx.note(`depends_on ${dep}: ${key} ignored`);
        else d.ctx.problem(`${path}.${dep}.${key}`, "not supported");
      }
    } else if (options !== undefined && options !== null)
      d.ctx.problem(`${path}.${dep}`, "expected a mapping");
    if (!d.dependsOn.includes(dep)) d.dependsOn.push(dep);
  }
};

const networks: Handler = (value, d, path) => {
  const names = Array.isArray(value) ? value : isObject(value) ? Object.keys(value) : [undefined];
  const settings = isObject(value) ? value.default : undefined;
  const plain =
    settings === undefined || settings === null || (isObject(settings) && Object.keys(settings).length === 0);
  if (names.every((n) => n === "default") && plain)
    d.ctx.note("networks ignored (every app joins its environment's network)");
  else d.ctx.problem(path, "not supported (every app joins its environment's network)");
};

const HANDLERS: Record<string, Handler> = {
  ...SETTING_HANDLERS,
  image,
  build,
  environment,
  env_file: envFile,
  ports: portList(parsePort),
  expose: portList(parseExpose),
  depends_on: dependsOn,
  networks,
};

export function mapService(service: Record<string, unknown>, ctx: ServiceContext): MappedService {
  const d: Draft = {
    ctx,
    fileConfig: new Map(),
    envConfig: new Map(),
    ports: [],
    expose: [],
    resources: {},
    setBy: new Map(),
    dependsOn: [],
  };
  for (const [key, value] of Object.entries(service)) {
    const path = `${ctx.path}.${key}`;
    const handler = Object.hasOwn(HANDLERS, key) ? HANDLERS[key] : undefined;
    if (handler) handler(value, d, path);
    else if (Object.hasOwn(IGNORED, key)) ctx.note(`${key} ignored (${IGNORED[key]})`);
    else if (key.startsWith("x-")) ctx.note(`${key} ignored (an extension field)`);
    else ctx.problem(path, `not supported${Object.hasOwn(REASONS, key) ? ` (${REASONS[key]})` : ""}`);
  }
  return finish(d);
}

const distinct = (specs: PortSpec[]) => [...new Set(specs.flatMap((s) => s.container))];

/** The port and health check, from ports / expose / healthcheck together. */
function portAndHealth(d: Draft): Pick<Resources, "port" | "healthCheck" | "healthPath"> {
  const { ctx } = d;
  const routed = distinct(d.ports);
  const exposed = distinct(d.expose);
  let port: number | undefined;
  let healthCheck: Resources["healthCheck"] = "none";
  let healthPath: string | undefined;
  if (routed.length > 1)
    ctx.problem(
      `${ctx.path}.ports`,
      `${routed.length} container ports (${routed.join(", ")}); Berth routes one port per app`,
    );
  else if (routed[0] !== undefined) {
    port = routed[0];
    healthCheck = "http";
    const hosts = d.ports.flatMap((s) => (s.host ? [s.host] : []));
    const dropped = hosts.length > 0 ? `; host port ${hosts.join(", ")} dropped` : "";
    ctx.note(
      `ports ${d.ports.map((s) => s.label).join(", ")} → port ${port} (the router publishes it${dropped})`,
    );
  }
  if (exposed.length > 0 && routed.length > 0)
    ctx.note(`expose ${d.expose.map((s) => s.label).join(", ")} ignored (the port comes from ports)`);
  else if (exposed.length > 1)
    ctx.problem(`${ctx.path}.expose`, `${exposed.length} ports (${exposed.join(", ")}); an app has one port`);
  else if (exposed[0] !== undefined) {
    port = exposed[0];
    healthCheck = "tcp";
    ctx.note(`expose ${port} → port ${port} with a tcp health check (internal: not routed)`);
  }
  const test = d.health;
  const replace = (why: string) => {
    healthCheck = port === undefined ? "none" : "tcp";
    const by =
      port === undefined ? "none (a running container counts as healthy)" : `a tcp check of port ${port}`;
    ctx.note(`healthcheck ${show(test && "command" in test ? test.command : "")} replaced by ${by}${why}`);
  };
  if (test?.kind === "none") {
    if (healthCheck !== "none")
      ctx.note(`healthcheck disabled → healthCheck none (instead of ${healthCheck})`);
    healthCheck = "none";
  } else if (test?.kind === "http") {
    port ??= test.port;
    if (port === test.port) {
      healthCheck = "http";
      healthPath = test.path;
    } else replace(` (it probes port ${test.port}, not the app's port ${port})`);
  } else if (test?.kind === "command") replace("");
  else if (healthCheck === "http")
    ctx.note(
      `no healthcheck: Berth probes GET / on port ${port}; set healthPath if / does not answer 2xx/3xx`,
    );
  return { port, healthCheck, healthPath };
}

function config(d: Draft, port: number | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, { value, where }] of new Map([...d.fileConfig, ...d.envConfig])) {
    if (key === "PORT" && port !== undefined && value === String(port))
      d.ctx.note(`PORT=${value} left out (Berth sets PORT to the app's port)`);
    else if (key === "PORT")
      d.ctx.problem(where, `PORT: Berth sets PORT to the app's port (${port ?? "this service has none"})`);
    else if (key.startsWith("BERTH_"))
      d.ctx.problem(where, `${key}: BERTH_* variables are set by the platform`);
    else if (!CONFIG_KEY.test(key))
      d.ctx.problem(
        where,
        `${show(key)} is not a valid config key (1-128 letters, digits or '_', not starting with a digit)`,
      );
    else if (value.length > 65_536) d.ctx.problem(where, `${key}: the value is longer than 64 KiB`);
    else if (value.includes("\0")) d.ctx.problem(where, `${key}: the value contains a NUL character`);
    // Berth config values are templates: `$$` is a literal `$`.
    else out[key] = value.replaceAll("$", () => "$$");
  }
  return out;
}

function finish(d: Draft): MappedService {
  const { ctx } = d;
  if (d.image && d.build) ctx.note(`image ${d.image} and build are both given; the build is used`);
  if (!d.image && !d.build) ctx.problem(ctx.path, "needs an image or a build");
  const { port, healthCheck, healthPath } = portAndHealth(d);
  const r = d.resources;
  const resources: Resources = Object.fromEntries(
    Object.entries({
      port,
      healthCheck,
      healthPath,
      healthTimeout: r.healthTimeout,
      replicas: r.replicas,
      cpus: r.cpus,
      memoryMb: r.memoryMb,
      restart: r.restart,
      command: r.command,
      volumes: r.volumes,
    }).filter(([, v]) => v !== undefined),
  );
  const values = config(d, port);
  const env: ManifestAppEnv = {};
  if (d.image && !d.build) env.image = d.image;
  if (Object.keys(values).length > 0) env.config = values;
  env.resources = resources;
  return { env, build: d.build, dependsOn: d.dependsOn };
}
