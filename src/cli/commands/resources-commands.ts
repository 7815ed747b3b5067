import { type Command, InvalidArgumentError, Option } from "commander";
import { envOf, tenantOf } from "../cli-config.js";
import { CliError } from "../cli-error.js";
import { clientFromConfig } from "../client-from-config.js";
import { layerText, report, type ScopeOptions, scopeOptions } from "../config-scope.js";
import { printJson, printTable } from "../output.js";
import { parseIntOption } from "../parse-int.js";
import { collect, parseCpus, parseMemoryMb } from "../parse-units.js";
import { type PlacementFlags, placementFrom, placementOptions } from "../placement-flags.js";

const out = (line: string) => process.stdout.write(`${line}\n`);

export function registerResourcesCommands(program: Command): void {
  const resources = program
    .command("resources")
    .description("limits and runtime settings per app and environment, layered like config");
  scopeOptions(
    placementOptions(resources.command("set [app]"))
      .description(
        "set CPU and memory limits, replicas, port, health check, restart policy, command or volumes",
      )
      .option("--cpus <n>", "CPU limit in cores, e.g. 0.5", parseCpus)
      .option(
        "--memory <size>",
        "memory limit, e.g. 512m or 1g (the app reads it as ${BERTH_MEMORY_MB})",
        parseMemoryMb,
      )
      .option("--replicas <n>", "containers to run", parseIntOption(0, 100))
      .option("--port <n>", "port the app listens on", parseIntOption(1, 65535))
      .addOption(new Option("--health-check <kind>", "how health is judged").choices(["http", "tcp", "none"]))
      .option("--health-path <path>", "HTTP path that answers 2xx/3xx when healthy")
      .option(
        "--health-timeout <s>",
        "seconds a new release may take to become healthy",
        parseIntOption(1, 3600),
      )
      .addOption(
        new Option("--restart <policy>", "what Docker does when it exits").choices([
          "no",
          "on-failure",
          "always",
          "unless-stopped",
        ]),
      )
      .option("--command <json>", 'override the image\'s command, as a JSON array: \'["node","worker.js"]\'')
      .option("--volume <name:path>", "mount a named volume (repeatable; replaces the list)", collect)
      .option("--privileged", "privileged mode (needs a platform admin's exception for the tenant)")
      .option("--host-network", "the host's network namespace (needs an exception)")
      .option("--host-pid", "the host's PID namespace (needs an exception)")
      .option(
        "--cap-add <capability>",
        "add a Linux capability such as NET_ADMIN (repeatable; needs an exception)",
        collect,
      )
      .option(
        "--device <path>",
        "give the container a host device, e.g. /dev/fuse (repeatable; needs an exception)",
        collect,
      )
      .option(
        "--host-mount <host:path[:ro]>",
        "bind-mount a host path (repeatable; needs an exception; the Docker socket needs its own)",
        collect,
      )
      .option("--unset <names>", "remove settings from this layer, e.g. cpus,memoryMb", (v: string) =>
        v.split(","),
      ),
  ).action(async (app: string | undefined, opts: ScopeOptions & ResourceFlags & PlacementFlags) => {
    if (!app && !opts.tenantWide) throw new CliError("give an app, or --tenant-wide");
    const settings = { ...settingsFrom(opts), ...placementFrom(opts) };
    if (Object.keys(settings).length === 0) throw new CliError("give at least one setting (see --help)");
    const tenant = tenantOf(opts.tenant);
    const client = clientFromConfig();
    const target = opts.tenantWide ? undefined : app;
    const result = await client.patchSettings(tenant, {
      app: target,
      env: opts.env,
      settings,
      stage: opts.stage,
    });
    out(`Updated ${Object.keys(settings).join(", ")} in ${layerText(target, opts.env)}`);
    await report(client, tenant, result, opts.wait);
  });

  resources
    .command("show <app>")
    .description("the settings in effect, the layer each came from, and what the next release runs with")
    .option("--env <env>", "environment")
    .option("--tenant <tenant>", "tenant")
    .option("--json", "print the API's JSON")
    .action(async (app: string, opts: { env?: string; tenant?: string; json?: boolean }) => {
      const s = await clientFromConfig().settings(tenantOf(opts.tenant), app, envOf(opts.env));
      if (opts.json) return printJson(s);
      const layers = new Map(s.settings.map((x) => [x.name, x.layer]));
      const r = s.resources;
      if (!r) return;
      const rows: [string, unknown][] = [
        ["replicas", s.replicas],
        ["cpus", r.cpus ?? "no limit"],
        ["memoryMb", r.memoryMb ?? "no limit"],
        ["port", r.port],
        ["healthCheck", r.healthCheck],
        ["healthPath", r.healthPath],
        ["healthTimeout", r.healthTimeout],
        ["restart", r.restart],
        ["command", r.command ? JSON.stringify(r.command) : "the image's"],
        ["volumes", r.volumes.map((v) => `${v.name}:${v.path}`).join(", ") || "none"],
        ["constraints", r.placement.constraints.join(", ") || "none"],
        ...(r.placement.spread ? [["spread", r.placement.spread] as [string, unknown]] : []),
        ...(r.placement.maxPerNode ? [["maxPerNode", r.placement.maxPerNode] as [string, unknown]] : []),
        ...(r.placement.reserveCpus ? [["reserveCpus", r.placement.reserveCpus] as [string, unknown]] : []),
        ...(r.placement.reserveMemoryMb
          ? [["reserveMemoryMb", r.placement.reserveMemoryMb] as [string, unknown]]
          : []),
        ...(r.privileged ? [["privileged", "yes"] as [string, unknown]] : []),
        ...(r.hostNetwork ? [["hostNetwork", "yes"] as [string, unknown]] : []),
        ...(r.hostPid ? [["hostPid", "yes"] as [string, unknown]] : []),
        ...(r.capAdd.length ? [["capAdd", r.capAdd.join(", ")] as [string, unknown]] : []),
        ...(r.devices.length ? [["devices", r.devices.join(", ")] as [string, unknown]] : []),
        ...(r.hostMounts.length
          ? [
              [
                "hostMounts",
                r.hostMounts.map((m) => `${m.hostPath}:${m.path}${m.readOnly ? ":ro" : ""}`).join(", "),
              ] as [string, unknown],
            ]
          : []),
      ];
      printTable(
        ["SETTING", "VALUE", "LAYER"],
        rows.map(([name, value]) => [name, String(value), layers.get(name) ?? "default"]),
      );
    });
}

interface ResourceFlags {
  cpus?: number;
  memory?: number;
  replicas?: number;
  port?: number;
  healthCheck?: "http" | "tcp" | "none";
  healthPath?: string;
  healthTimeout?: number;
  restart?: "no" | "on-failure" | "always" | "unless-stopped";
  command?: string;
  volume?: string[];
  privileged?: boolean;
  hostNetwork?: boolean;
  hostPid?: boolean;
  capAdd?: string[];
  device?: string[];
  hostMount?: string[];
  unset?: string[];
}

function settingsFrom(o: ResourceFlags): Record<string, unknown> {
  const s: Record<string, unknown> = {
    cpus: o.cpus,
    memoryMb: o.memory,
    replicas: o.replicas,
    port: o.port,
    healthCheck: o.healthCheck,
    healthPath: o.healthPath,
    healthTimeout: o.healthTimeout,
    restart: o.restart,
    privileged: o.privileged,
    hostNetwork: o.hostNetwork,
    hostPid: o.hostPid,
    capAdd: o.capAdd,
    devices: o.device,
  };
  if (o.command !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(o.command);
    } catch {
      throw new InvalidArgumentError('--command takes a JSON array such as ["node","worker.js"]');
    }
    s.command = parsed;
  }
  if (o.volume)
    s.volumes = o.volume.map((v) => {
      const i = v.indexOf(":");
      if (i <= 0) throw new CliError(`--volume takes NAME:/path, got '${v}'`);
      return { name: v.slice(0, i), path: v.slice(i + 1) };
    });
  if (o.hostMount)
    s.hostMounts = o.hostMount.map((v) => {
      const [hostPath, path, mode, ...rest] = v.split(":");
      if (!hostPath || !path || rest.length > 0 || (mode !== undefined && mode !== "ro"))
        throw new CliError(`--host-mount takes /host/path:/container/path[:ro], got '${v}'`);
      return { hostPath, path, readOnly: mode === "ro" };
    });
  for (const name of o.unset ?? []) s[name] = null;
  return Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined));
}
