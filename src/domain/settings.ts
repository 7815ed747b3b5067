import { z } from "zod";
import { ContainerFilePath } from "./config.js";
import { dnsLabel } from "./dns-label.js";
import { ELEVATED_SHAPES, HostMount } from "./isolation.js";
import { NodeLabelKey, Placement, PlacementConstraint } from "./placement.js";
import { HealthPath, HealthTimeout, Port, Replicas } from "./runtime-spec.js";

export const HealthCheck = z.enum(["http", "tcp", "none"]).meta({
  description:
    "http: GET healthPath answers 2xx/3xx (the app is routed); tcp: the port accepts; none: running",
});
export type HealthCheck = z.infer<typeof HealthCheck>;

export const RestartPolicy = z.enum(["no", "on-failure", "always", "unless-stopped"]);
export type RestartPolicy = z.infer<typeof RestartPolicy>;

export const VolumeName = dnsLabel("volume");
export const VolumeMount = z
  .strictObject({ name: VolumeName, path: ContainerFilePath })
  .meta({ id: "VolumeMount", description: "A named volume of the tenant-environment, mounted read-write" });
export type VolumeMount = z.infer<typeof VolumeMount>;

const CommandArg = z
  .string()
  .max(4096)
  .regex(/^[^\0]*$/, "command arguments cannot contain NUL");

/**
 * Everything about how an app runs besides its image and config. Each field is layered like
 * config (tenant → tenant-env → app → app-env); null in a change removes the field from that layer.
 */
export const SETTING_SHAPES = {
  cpus: z.number().min(0.01).max(256).meta({ description: "CPU limit in cores", example: 0.5 }),
  memoryMb: z
    .number()
    .int()
    .min(6)
    .max(4_194_304)
    .meta({ description: "Memory limit in MiB", example: 1024 }),
  replicas: Replicas,
  port: Port,
  healthCheck: HealthCheck,
  healthPath: HealthPath,
  healthTimeout: HealthTimeout.meta({ description: "Seconds a new release may take to become healthy" }),
  restart: RestartPolicy,
  command: z.array(CommandArg).min(1).max(64).meta({ description: "Overrides the image's command" }),
  volumes: z.array(VolumeMount).max(16),
  // Placement on a cluster; constraints from every layer apply together (see resolveSettings).
  constraints: z
    .array(PlacementConstraint)
    .max(16)
    .meta({ description: "Node rules every replica must satisfy" }),
  spread: NodeLabelKey.meta({ description: "Spread replicas evenly over the values of this node label" }),
  maxPerNode: z.number().int().min(1).max(100).meta({ description: "At most this many replicas per node" }),
  reserveCpus: z.number().min(0.01).max(256).meta({ description: "CPU cores reserved per replica" }),
  reserveMemoryMb: z.number().int().min(6).max(4_194_304).meta({ description: "MiB reserved per replica" }),
  strategy: z.enum(["rolling", "stop-first"]).meta({
    description:
      "rolling: new replicas start beside the old (zero downtime); stop-first: the old release stops before the new starts (a database on its volume)",
  }),
  ...ELEVATED_SHAPES,
} as const;
export type SettingName = keyof typeof SETTING_SHAPES;
export const SETTING_NAMES = Object.keys(SETTING_SHAPES) as SettingName[];

export const Settings = z.strictObject({
  cpus: SETTING_SHAPES.cpus.optional(),
  memoryMb: SETTING_SHAPES.memoryMb.optional(),
  replicas: SETTING_SHAPES.replicas.optional(),
  port: SETTING_SHAPES.port.optional(),
  healthCheck: SETTING_SHAPES.healthCheck.optional(),
  healthPath: SETTING_SHAPES.healthPath.optional(),
  healthTimeout: SETTING_SHAPES.healthTimeout.optional(),
  restart: SETTING_SHAPES.restart.optional(),
  command: SETTING_SHAPES.command.optional(),
  volumes: SETTING_SHAPES.volumes.optional(),
  constraints: SETTING_SHAPES.constraints.optional(),
  spread: SETTING_SHAPES.spread.optional(),
  maxPerNode: SETTING_SHAPES.maxPerNode.optional(),
  reserveCpus: SETTING_SHAPES.reserveCpus.optional(),
  reserveMemoryMb: SETTING_SHAPES.reserveMemoryMb.optional(),
  strategy: SETTING_SHAPES.strategy.optional(),
  privileged: SETTING_SHAPES.privileged.optional(),
  hostNetwork: SETTING_SHAPES.hostNetwork.optional(),
  hostPid: SETTING_SHAPES.hostPid.optional(),
  capAdd: SETTING_SHAPES.capAdd.optional(),
  devices: SETTING_SHAPES.devices.optional(),
  hostMounts: SETTING_SHAPES.hostMounts.optional(),
});
export type Settings = z.infer<typeof Settings>;

export const SettingsPatch = z
  .strictObject({
    cpus: SETTING_SHAPES.cpus.nullable().optional(),
    memoryMb: SETTING_SHAPES.memoryMb.nullable().optional(),
    replicas: SETTING_SHAPES.replicas.nullable().optional(),
    port: SETTING_SHAPES.port.nullable().optional(),
    healthCheck: SETTING_SHAPES.healthCheck.nullable().optional(),
    healthPath: SETTING_SHAPES.healthPath.nullable().optional(),
    healthTimeout: SETTING_SHAPES.healthTimeout.nullable().optional(),
    restart: SETTING_SHAPES.restart.nullable().optional(),
    command: SETTING_SHAPES.command.nullable().optional(),
    volumes: SETTING_SHAPES.volumes.nullable().optional(),
    constraints: SETTING_SHAPES.constraints.nullable().optional(),
    spread: SETTING_SHAPES.spread.nullable().optional(),
    maxPerNode: SETTING_SHAPES.maxPerNode.nullable().optional(),
    reserveCpus: SETTING_SHAPES.reserveCpus.nullable().optional(),
    reserveMemoryMb: SETTING_SHAPES.reserveMemoryMb.nullable().optional(),
    strategy: SETTING_SHAPES.strategy.nullable().optional(),
    privileged: SETTING_SHAPES.privileged.nullable().optional(),
    hostNetwork: SETTING_SHAPES.hostNetwork.nullable().optional(),
    hostPid: SETTING_SHAPES.hostPid.nullable().optional(),
    capAdd: SETTING_SHAPES.capAdd.nullable().optional(),
    devices: SETTING_SHAPES.devices.nullable().optional(),
    hostMounts: SETTING_SHAPES.hostMounts.nullable().optional(),
  })
  .meta({ id: "SettingsPatch", description: "Fields to set in one layer; null removes a field from it" });
export type SettingsPatch = z.infer<typeof SettingsPatch>;

/** What a release runs with: every setting resolved, defaults filled in. Part of the release. */
export const ReleaseResources = z
  .object({
    cpus: z.number().nullable().meta({ description: "null: no limit" }),
    memoryMb: z.number().int().nullable().meta({ description: "null: no limit" }),
    port: Port,
    healthCheck: HealthCheck,
    healthPath: HealthPath,
    healthTimeout: HealthTimeout,
    restart: RestartPolicy,
    command: z.array(z.string()).nullable(),
    volumes: z.array(VolumeMount),
    privileged: z.boolean(),
    hostNetwork: z.boolean(),
    hostPid: z.boolean(),
    capAdd: z.array(z.string()),
    devices: z.array(z.string()),
    hostMounts: z.array(HostMount),
    placement: Placement,
    /** Set only where a layer asked for it; absent: rolling. */
    strategy: SETTING_SHAPES.strategy.optional(),
  })
  .meta({ id: "ReleaseResources" });
export type ReleaseResources = z.infer<typeof ReleaseResources>;

export const SettingEntry = z
  .object({ name: z.string(), value: z.unknown(), layer: z.string() })
  .meta({ id: "SettingEntry" });

export const SettingsListing = z
  .object({
    settings: z.array(SettingEntry).meta({ description: "Each set field with the layer that won" }),
    replicas: z.number().int(),
    resources: ReleaseResources.nullable().meta({ description: "What the next release would run with" }),
  })
  .meta({ id: "SettingsListing" });
