import { z } from "zod";
import { AppName, EnvName } from "./dns-label.js";

/**
 * A config key becomes an environment variable name. BERTH_* names are the platform's facts and
 * PORT is derived from the port setting, so neither can be set by hand.
 */
export const ConfigKey = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]{0,127}$/,
    "config keys are 1-128 letters, digits or '_', not starting with a digit",
  )
  .refine((k) => !k.startsWith("BERTH_") && k !== "PORT", {
    message: "BERTH_* and PORT are set by the platform; read them as facts, e.g. ${BERTH_MEMORY_MB}",
  })
  .meta({ description: "Environment variable name", example: "JAVA_OPTS" });

export const CONFIG_VALUE_MAX = 65_536;
/** Any text but NUL, which no environment variable can hold. */
export const ConfigValue = z
  .string()
  .max(CONFIG_VALUE_MAX)
  .regex(/^[^\0]*$/, "config values cannot contain NUL characters")
  .meta({
    description: "A template: text with optional ${expression}s",
    example: "-Xmx${BERTH_MEMORY_MB * 3 / 4}m",
  });

/** Where a value was set, lowest precedence first. */
export const ConfigLayer = z.enum(["tenant", "tenant-env", "app", "app-env", "release"]);
export type ConfigLayer = z.infer<typeof ConfigLayer>;
export const CONFIG_LAYERS = ConfigLayer.options;

export const ConfigScope = z.strictObject({
  app: AppName.optional().meta({ description: "Omit for a tenant-wide value" }),
  env: EnvName.optional().meta({ description: "Omit for the default of every environment" }),
});
export type ConfigScope = z.infer<typeof ConfigScope>;

const ConfigMap = z.record(ConfigKey, ConfigValue).refine((m) => Object.keys(m).length <= 500, {
  message: "at most 500 keys per request",
});

export const ConfigChangeRequest = ConfigScope.extend({
  values: ConfigMap.optional().meta({ description: "Plain values to set" }),
  secrets: ConfigMap.optional().meta({ description: "Secret values to set; stored encrypted, never echoed" }),
  unset: z.array(ConfigKey).max(500).optional(),
  stage: z
    .boolean()
    .optional()
    .meta({ description: "Store only; running releases change at the next deploy or redeploy" }),
}).meta({ id: "ConfigChangeRequest" });
export type ConfigChangeRequest = z.infer<typeof ConfigChangeRequest>;

/** A path inside the container; absolute, no '..', nowhere the kernel owns. */
export const ContainerFilePath = z
  .string()
  .max(512)
  .regex(/^(\/[A-Za-z0-9._@+-]+)+$/, "file paths are absolute, made of letters, digits and . _ @ + -")
  .refine((p) => !p.split("/").some((s) => s === "." || s === ".."), {
    message: "'.' and '..' are not allowed",
  })
  .refine((p) => !/^\/(proc|sys|dev)(\/|$)/.test(p), { message: "/proc, /sys and /dev belong to the kernel" })
  .meta({ example: "/app/config/application.properties" });

export const CONFIG_FILE_MAX = 262_144;
export const ConfigFileRequest = z
  .strictObject({
    app: AppName,
    env: EnvName.optional(),
    path: ContainerFilePath,
    content: z
      .string()
      .max(CONFIG_FILE_MAX)
      .regex(/^[^\0]*$/, "config files are text; NUL is not allowed"),
    stage: z.boolean().optional(),
  })
  .meta({ id: "ConfigFileRequest" });
export type ConfigFileRequest = z.infer<typeof ConfigFileRequest>;

export const ConfigFileRemoveRequest = z
  .strictObject({
    app: AppName,
    env: EnvName.optional(),
    path: ContainerFilePath,
    stage: z.boolean().optional(),
  })
  .meta({ id: "ConfigFileRemoveRequest" });
export type ConfigFileRemoveRequest = z.infer<typeof ConfigFileRemoveRequest>;

export const SECRET_MASK = "******";

export const ConfigEntry = z
  .object({
    key: z.string(),
    value: z.string().meta({ description: `The raw template; ${SECRET_MASK} for secrets unless shown` }),
    secret: z.boolean(),
    layer: ConfigLayer,
    resolved: z.string().nullable().meta({ description: "The value the next release would get" }),
  })
  .meta({ id: "ConfigEntry" });
export type ConfigEntry = z.infer<typeof ConfigEntry>;

export const ConfigFileInfo = z
  .object({
    path: z.string(),
    layer: ConfigLayer,
    bytes: z.number().int(),
    content: z.string().nullable().meta({ description: "Shown when asked for and not secret" }),
  })
  .meta({ id: "ConfigFileInfo" });

export const ConfigListing = z
  .object({
    scope: ConfigScope,
    entries: z.array(ConfigEntry),
    files: z.array(ConfigFileInfo),
    problem: z.string().nullable().meta({ description: "Why the config does not resolve, if it does not" }),
  })
  .meta({ id: "ConfigListing" });
export type ConfigListing = z.infer<typeof ConfigListing>;

/** A release a change started; its rollout's events follow eventCursor. */
export const StartedRelease = z
  .object({ app: z.string(), env: z.string(), release: z.number().int(), eventCursor: z.number().int() })
  .meta({ id: "StartedRelease" });

export const ConfigChangeResult = z
  .object({
    changed: z.number().int(),
    releases: z.array(StartedRelease),
    staged: z.array(z.object({ app: z.string(), env: z.string() })),
  })
  .meta({ id: "ConfigChangeResult" });
export type ConfigChangeResult = z.infer<typeof ConfigChangeResult>;

export const ConfigDiffLine = z
  .object({
    key: z.string().meta({ description: "A config key, 'file:PATH' or 'resources.NAME' / 'image'" }),
    change: z.enum(["added", "removed", "changed"]),
    from: z.string().nullable(),
    to: z.string().nullable(),
    secret: z.boolean(),
  })
  .meta({ id: "ConfigDiffLine" });
export type ConfigDiffLine = z.infer<typeof ConfigDiffLine>;

export const ConfigDiff = z
  .object({
    from: z.string().meta({ description: "e.g. 'release 4' or 'live (release 4)'" }),
    to: z.string(),
    lines: z.array(ConfigDiffLine),
  })
  .meta({ id: "ConfigDiff" });
export type ConfigDiff = z.infer<typeof ConfigDiff>;

export const PlainConfigScope = z.object({ app: AppName.optional(), env: EnvName.optional() });
