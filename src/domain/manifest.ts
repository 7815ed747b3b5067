import { z } from "zod";
import { RouteHost, RoutePath } from "./app-route.js";
import { CanaryMode, RolloutPlan } from "./canary.js";
import { CONFIG_FILE_MAX, ConfigKey, ConfigValue, ContainerFilePath, StartedRelease } from "./config.js";
import { AppName, EnvName, TenantName } from "./dns-label.js";
import { ImageRef } from "./image-ref.js";
import { Settings } from "./settings.js";
import { TrafficRules } from "./traffic-rules.js";

export const MANIFEST_API_VERSION = "berth/v1";

/**
 * A secret in berth.yaml never holds its value: `keep` means "must already be set", and the CLI
 * reads fromEnv / fromFile on the user's machine and sends the value over the API as `value`.
 */
export const SecretSourceInFile = z.union([
  z.literal("keep"),
  z.strictObject({
    fromEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "fromEnv names an environment variable"),
  }),
  z.strictObject({ fromFile: z.string().min(1).max(4096) }),
]);
export const SecretSourceOnWire = z.union([z.literal("keep"), z.strictObject({ value: ConfigValue })]);

const FileContent = z
  .string()
  .max(CONFIG_FILE_MAX)
  .regex(/^[^\0]*$/, "config files are text; NUL is not allowed");

const layerShape = <S extends z.ZodType>(secret: S) => ({
  config: z.record(ConfigKey, ConfigValue).optional(),
  secrets: z.record(ConfigKey, secret).optional(),
  resources: Settings.optional(),
});

export const ManifestRoute = z
  .strictObject({
    host: RouteHost,
    path: RoutePath.default("/"),
    tls: z
      .enum(["none", "internal", "uploaded"])
      .default("none")
      .meta({ description: "uploaded: keep the certificate already uploaded for this host" }),
    redirectHttps: z.boolean().default(false),
  })
  .meta({ id: "ManifestRoute" });

export const ManifestCanary = z
  .strictObject({
    image: ImageRef,
    mode: CanaryMode.default("canary"),
    rules: TrafficRules.default({ headers: [], cookie: null, sourceCidrs: [], weight: 0 }),
    rollout: RolloutPlan.optional(),
  })
  .meta({ id: "ManifestCanary" });

const build = <S extends z.ZodType>(secret: S, id: string) => {
  const Layer = z.strictObject(layerShape(secret));
  const AppEnv = z.strictObject({
    ...layerShape(secret),
    image: ImageRef.optional().meta({ description: "Overrides the app's image in this environment" }),
    files: z.record(ContainerFilePath, FileContent).optional(),
    routes: z.array(ManifestRoute).max(64).optional(),
    canary: ManifestCanary.optional(),
  });
  const App = z.strictObject({
    ...layerShape(secret),
    image: ImageRef.optional().meta({ description: "Deployed to every environment listed under envs" }),
    dependsOn: z.array(AppName).max(64).optional().meta({ description: "Apps applied and deployed first" }),
    files: z.record(ContainerFilePath, FileContent).optional(),
    envs: z.record(EnvName, AppEnv).optional(),
  });
  return z
    .strictObject({
      apiVersion: z.literal(MANIFEST_API_VERSION),
      tenant: TenantName,
      ...layerShape(secret),
      environments: z.record(EnvName, Layer).optional(),
      apps: z.record(AppName, App).optional(),
    })
    .meta({ id, description: "berth.yaml: a tenant's environments and apps, declared" });
};

/** berth.yaml as a user writes it (and as GET /schemas/berth.yaml.json publishes it). */
export const ManifestFile = build(SecretSourceInFile, "ManifestFile");
/** berth.yaml as the API takes it: the CLI has already read fromEnv / fromFile. */
export const Manifest = build(SecretSourceOnWire, "Manifest");
export type Manifest = z.infer<typeof Manifest>;
export type ManifestApp = NonNullable<Manifest["apps"]>[string];
export type ManifestAppEnv = NonNullable<ManifestApp["envs"]>[string];

export const ApplyRequest = z
  .strictObject({ manifest: Manifest, dryRun: z.boolean().default(false) })
  .meta({ id: "ApplyRequest" });

export const PlanStep = z
  .object({
    action: z.string().meta({ example: "set config" }),
    target: z.string().meta({ example: "web/prod" }),
    detail: z.string(),
  })
  .meta({ id: "PlanStep" });
export type PlanStep = z.infer<typeof PlanStep>;

export const ApplyResult = z
  .object({
    dryRun: z.boolean(),
    steps: z.array(PlanStep),
    releases: z.array(StartedRelease),
    notes: z.array(z.string()),
  })
  .meta({ id: "ApplyResult" });
export type ApplyResult = z.infer<typeof ApplyResult>;
/** What a user may write in berth.yaml (defaults not yet applied). */
export type ManifestFileInput = z.input<typeof ManifestFile>;
