import { z } from "zod";
import { CapabilityId, ModulePath, ModuleVersion, PlanName } from "./capability-module.js";
import { AppName, dnsLabel, EnvName, TenantName } from "./dns-label.js";

export const InstanceName = dnsLabel("service instance");
export const BindingName = dnsLabel("binding");

const CatalogPlan = z
  .object({
    name: PlanName,
    description: z.string(),
    cpus: z.number(),
    memoryMb: z.number().int(),
    default: z.boolean(),
  })
  .meta({ id: "CatalogPlan" });

const CatalogVersion = z
  .object({
    version: ModuleVersion,
    serviceVersion: z.string(),
    maturity: z.enum(["stable", "beta", "experimental"]),
    scope: z
      .enum(["platform", "tenant"])
      .meta({ description: "platform: every tenant's; tenant: this tenant's own" }),
    source: z.string(),
    addedBy: z.string(),
    addedAt: z.string(),
  })
  .meta({ id: "CatalogVersion" });

export const CatalogEntry = z
  .object({
    capability: CapabilityId,
    title: z.string(),
    description: z.string(),
    /** Newest first. */
    versions: z.array(CatalogVersion),
    /** The newest version's plans. */
    plans: z.array(CatalogPlan),
  })
  .meta({ id: "CatalogEntry" });
export type CatalogEntry = z.infer<typeof CatalogEntry>;

export const CatalogDetail = CatalogEntry.extend({
  parameters: z.object({
    create: z.record(z.string(), z.unknown()).nullable(),
    update: z.record(z.string(), z.unknown()).nullable(),
    bind: z.record(z.string(), z.unknown()).nullable(),
  }),
  services: z.array(
    z.object({
      name: z.string(),
      port: z.number().int(),
      replicas: z.string(),
      volumes: z.array(z.string()),
    }),
  ),
  binding: z.object({
    type: z.string(),
    provider: z.string(),
    /** The files a bound app finds under $SERVICE_BINDING_ROOT/<binding>/. */
    keys: z.array(z.string()),
    env: z.array(z.string()),
    perBindingCredentials: z.boolean(),
  }),
  backup: z
    .object({ method: z.literal("restic"), restoreMode: z.enum(["online", "offline"]) })
    .nullable()
    .meta({ description: "null: the capability keeps no data worth backing up" }),
  upgrades: z.array(z.object({ from: z.string(), to: z.string() })),
}).meta({ id: "CatalogDetail" });
export type CatalogDetail = z.infer<typeof CatalogDetail>;

export const ModuleFileBody = z.strictObject({
  path: ModulePath,
  mode: z.number().int().min(0).max(0o777),
  data: z
    .string()
    .max(12 * 1024 * 1024)
    .regex(/^[A-Za-z0-9+/]*={0,2}$/, "data is the file's bytes in base64"),
});

export const AddModuleRequest = z
  .strictObject({
    /** Absent: for every tenant (platform admins only). */
    tenant: TenantName.optional(),
    files: z.array(ModuleFileBody).min(1).max(500),
    /** Where the files came from: a folder (upload), or `git URL REF COMMIT` (catalog add --git). */
    source: z
      .string()
      .regex(
        /^(upload|git [\x21-\x7e]{1,250} [A-Za-z0-9._/-]{1,200} [0-9a-f]{12})$/,
        "source is 'upload' or 'git URL REF COMMIT'",
      )
      .default("upload"),
  })
  .meta({ id: "AddModuleRequest" });
export type AddModuleRequest = z.infer<typeof AddModuleRequest>;

export const AddModuleResult = z
  .object({
    capability: CapabilityId,
    version: ModuleVersion,
    scope: z.enum(["platform", "tenant"]),
    added: z.boolean().meta({ description: "false: this very version was already in the catalog" }),
    images: z.array(z.string()),
  })
  .meta({ id: "AddModuleResult" });

/** Names as modules declare them (they become PARAM_NAME), so no key can forge another variable. */
export const ParameterValues = z.record(
  z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, "parameter names are lower-case letters, digits or '_'"),
  z.unknown(),
);

export const CreateServiceRequest = z
  .strictObject({
    name: InstanceName,
    capability: CapabilityId,
    version: ModuleVersion.optional().meta({ description: "default: the newest in the catalog" }),
    plan: PlanName.optional().meta({ description: "default: the module's default plan" }),
    parameters: ParameterValues.default({}),
  })
  .meta({ id: "CreateServiceRequest" });
export type CreateServiceRequest = z.infer<typeof CreateServiceRequest>;

export const UpdateServiceRequest = z
  .strictObject({ plan: PlanName.optional(), parameters: ParameterValues.optional() })
  .meta({ id: "UpdateServiceRequest" });
export type UpdateServiceRequest = z.infer<typeof UpdateServiceRequest>;

export const OperationState = z.enum(["pending", "in-progress", "succeeded", "failed"]);

export const ServiceOperation = z
  .object({
    id: z.number().int(),
    kind: z.string(),
    state: OperationState,
    reason: z.string(),
    requestedBy: z.string(),
    createdAt: z.string(),
    finishedAt: z.string().nullable(),
  })
  .meta({ id: "ServiceOperation" });
export type ServiceOperation = z.infer<typeof ServiceOperation>;

export const ServiceBinding = z
  .object({
    app: AppName,
    service: InstanceName,
    name: BindingName,
    env: EnvName,
    state: z.enum(["active", "revoking"]),
    createdAt: z.string(),
    rotatedAt: z.string().nullable(),
  })
  .meta({ id: "ServiceBinding" });
export type ServiceBinding = z.infer<typeof ServiceBinding>;

export const ServicePhase = z.enum(["pending", "provisioning", "ready", "updating", "failed", "deleting"]);

export const ServiceInstance = z
  .object({
    tenant: TenantName,
    env: EnvName,
    name: InstanceName,
    capability: CapabilityId,
    version: ModuleVersion,
    plan: PlanName,
    parameters: z.record(z.string(), z.unknown()),
    phase: ServicePhase,
    message: z.string(),
    host: z.string().meta({ description: "Where bound apps reach it, on the environment's network" }),
    port: z.number().int(),
    components: z.array(
      z.object({
        service: z.string(),
        app: z.string(),
        replicas: z.number().int(),
        readyReplicas: z.number().int(),
        phase: z.string(),
      }),
    ),
    bindings: z.array(ServiceBinding),
    operation: ServiceOperation.nullable().meta({ description: "The newest operation" }),
    createdAt: z.string(),
    readyAt: z.string().nullable(),
  })
  .meta({ id: "ServiceInstance" });
export type ServiceInstance = z.infer<typeof ServiceInstance>;

export const BindRequest = z
  .strictObject({
    service: InstanceName,
    as: BindingName.optional().meta({
      description: "The binding's name: its folder and default env prefix (default: the service's name)",
    }),
  })
  .meta({ id: "BindRequest" });
export type BindRequest = z.infer<typeof BindRequest>;
