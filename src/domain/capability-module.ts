import { z } from "zod";
import { ConfigKey, ConfigValue, ContainerFilePath } from "./config.js";
import { dnsLabel } from "./dns-label.js";
import { Capability, HostMount } from "./isolation.js";
import { Port } from "./runtime-spec.js";

/**
 * The capability module format, v1: one folder with a capability.yaml that declares everything
 * Berth needs to run, bind, back up and upgrade a service. This schema is the one rule for it:
 * `berth module lint` (on the author's machine) and `catalog add` (on the server) both judge a
 * module by it, and docs/capabilities.md describes each field.
 */

export const CAPABILITY_API_VERSION = "berth.dev/capability/v1";

export const CapabilityId = dnsLabel("capability");
export const PlanName = dnsLabel("plan");
const ImageName = dnsLabel("image");
const ServiceName = dnsLabel("service");

/** Semantic version of a module: MAJOR.MINOR.PATCH, optionally -PRERELEASE. */
export const ModuleVersion = z
  .string()
  .regex(/^(0|[1-9]\d{0,5})\.(0|[1-9]\d{0,5})\.(0|[1-9]\d{0,5})(-[0-9A-Za-z.-]{1,40})?$/, {
    message: "a module version is MAJOR.MINOR.PATCH, e.g. 1.2.0",
  });

/** A path inside the module folder: relative, no `..`, no backslashes. */
export const ModulePath = z
  .string()
  .min(1)
  .max(200)
  .regex(/^(?!\/)(?!.*(^|\/)\.\.?(\/|$))[A-Za-z0-9._/-]+$/, {
    message:
      "a module path is relative to the module folder, of letters, digits, '.', '_', '-' and '/', without '..'",
  });

/** Generated secrets and parameters are named like variables: they become SECRET_X / PARAM_X. */
const VariableName = z
  .string()
  .regex(
    /^[a-z][a-z0-9_]{0,39}$/,
    "names are 1-40 lower-case letters, digits or '_', starting with a letter",
  );

/** A binding key becomes a file name under $SERVICE_BINDING_ROOT/<binding>/. */
const BindingKey = z
  .string()
  .regex(/^[a-z][a-z0-9._-]{0,62}$/, "binding keys are lower-case file names such as host, port, uri");

const Argument = z
  .string()
  .max(4096)
  .regex(/^[^\0]*$/, "arguments cannot contain NUL");

/**
 * A one-shot container from one of the module's images, on the instance's environment network.
 * Its arguments are literal (no templates, no shell): it reads what it needs from the
 * environment Berth gives it (SERVICE_HOST, SERVICE_PORT, SECRET_*, PARAM_*, BINDING_*).
 */
export const ModuleHook = z.strictObject({
  image: ImageName.optional().meta({ description: "One of the module's images; default: the service's" }),
  command: z.array(Argument).min(1).max(64),
  timeoutSeconds: z.number().int().min(1).max(3600).default(300),
});
export type ModuleHook = z.infer<typeof ModuleHook>;

/** JSON Schema for a parameter set; judged with a JSON Schema validator when the module is added. */
const ParameterSchema = z
  .record(z.string(), z.unknown())
  .meta({ description: "A JSON Schema (draft 2020-12) object" });

export const ModulePlan = z.strictObject({
  description: z.string().max(200).default(""),
  cpus: z.number().min(0.01).max(256),
  memoryMb: z.number().int().min(6).max(4_194_304),
  default: z.boolean().default(false),
});

export const ModuleService = z.strictObject({
  image: ImageName,
  command: z.array(Argument).min(1).max(64).optional(),
  port: Port,
  /** Values are templates over SECRET_*, PARAM_*, PLAN_* and INSTANCE (see docs/capabilities.md). */
  env: z.record(ConfigKey, ConfigValue).default({}),
  volumes: z
    .array(z.strictObject({ name: dnsLabel("volume"), path: ContainerFilePath }))
    .max(8)
    .default([]),
  /** How Berth tells the service is ready: its port accepts, and (if given) a hook exits 0. */
  ready: z.strictObject({ command: ModuleHook.optional() }).default({}),
  /** A whole number, or the name of an integer parameter (e.g. Dask's workers). */
  replicas: z.union([z.number().int().min(0).max(100), z.strictObject({ param: VariableName })]).default(1),
  /** Seconds its first start may take before the provision fails (initdb and the like). */
  startTimeout: z.number().int().min(5).max(3600).default(120),
  /** Share of the plan's CPU and memory this service gets (services of one instance share it). */
  share: z.number().min(0.01).max(1).default(1),
  /** Elevations, judged by the tenant's isolation policy like any app's. */
  privileged: z.boolean().default(false),
  capAdd: z.array(Capability).max(16).default([]),
  // The same rules as an app's host mounts (canonical paths, no '..'): the isolation policy judges them.
  hostMounts: z.array(HostMount).max(8).default([]),
});
export type ModuleService = z.infer<typeof ModuleService>;

export const ModuleBinding = z.strictObject({
  /** servicebinding.io `type` and `provider`. */
  type: z.string().regex(/^[a-z][a-z0-9-]{0,39}$/),
  provider: z
    .string()
    .regex(/^[a-z][a-z0-9.-]{0,62}$/)
    .default("berth"),
  /** The service a binding points at (its host and port). */
  service: ServiceName,
  /** Makes the binding's own user (BINDING_USERNAME, BINDING_PASSWORD); delete revokes it. */
  create: ModuleHook.optional(),
  delete: ModuleHook.optional(),
  /** The binding's files, as templates over HOST, PORT, BINDING_*, SECRET_*, PARAM_*. */
  credentials: z.record(BindingKey, ConfigValue),
  /** Environment variables the bound app gets, as templates over the same names and the credentials (CREDENTIAL_<KEY>). */
  env: z.record(ConfigKey, ConfigValue).default({}),
});
export type ModuleBinding = z.infer<typeof ModuleBinding>;

export const ModuleBackup = z.strictObject({
  service: ServiceName,
  /** Writes the backup stream to stdout. */
  backup: ModuleHook,
  /** Reads a backup stream from stdin into a fresh instance. */
  restore: ModuleHook,
  /**
   * online: the restore hook runs against the running service (e.g. psql). offline: it runs
   * before the service first starts, with the service's volumes mounted at the same paths.
   */
  restoreMode: z.enum(["online", "offline"]).default("online"),
});

export const ModuleUpgrade = z.strictObject({
  from: ModuleVersion,
  to: ModuleVersion,
  preflight: ModuleHook.optional(),
});

export const CapabilityManifest = z
  .strictObject({
    apiVersion: z.literal(CAPABILITY_API_VERSION, {
      message: `apiVersion must be ${CAPABILITY_API_VERSION}`,
    }),
    id: CapabilityId,
    title: z.string().min(1).max(80),
    description: z.string().max(500).default(""),
    version: ModuleVersion,
    /** The version of the software it runs, e.g. "15" for PostgreSQL 15. */
    serviceVersion: z.string().regex(/^[0-9A-Za-z.+-]{1,40}$/),
    maturity: z.enum(["stable", "beta", "experimental"]),
    plans: z.record(PlanName, ModulePlan).refine((p) => Object.keys(p).length > 0, "at least one plan"),
    parameters: z
      .strictObject({
        create: ParameterSchema.optional(),
        update: ParameterSchema.optional(),
        bind: ParameterSchema.optional(),
      })
      .default({}),
    secrets: z
      .record(VariableName, z.strictObject({ length: z.number().int().min(16).max(128).default(32) }))
      .default({}),
    images: z
      .record(ImageName, z.strictObject({ context: ModulePath }))
      .refine((i) => Object.keys(i).length > 0, "at least one image"),
    services: z
      .record(ServiceName, ModuleService)
      .refine((s) => Object.keys(s).length > 0, "at least one service"),
    binding: ModuleBinding,
    backup: ModuleBackup.optional(),
    upgrades: z.array(ModuleUpgrade).max(64).default([]),
  })
  .meta({ id: "CapabilityManifest" });
export type CapabilityManifest = z.infer<typeof CapabilityManifest>;

/** berth-cap/redis-server:1.0.0-3f2a9c1d0b7e: a module's own image, named by the digest of its files. */
export const moduleImageTag = (m: { capability: string; version: string; digest: string }, image: string) =>
  `berth-cap/${m.capability}-${image}:${m.version}-${m.digest.slice(0, 12)}`;
