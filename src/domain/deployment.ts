import { z } from "zod";
import { ConfigKey, ConfigValue } from "./config.js";
import { EnvName } from "./dns-label.js";
import { ImageRef } from "./image-ref.js";
import { HealthPath, HealthTimeout, Port, Replicas } from "./runtime-spec.js";

export const DeploymentPhase = z.enum(["rolling-out", "serving", "failed", "stopped"]);
export type DeploymentPhase = z.infer<typeof DeploymentPhase>;

export const DeploymentFailure = z
  .object({
    release: z.number().int(),
    reason: z.string(),
    at: z.string().meta({ description: "When the rollout was given up" }),
  })
  .meta({ id: "DeploymentFailure", description: "The last rollout that failed, and why" });

/** Spec (what the user asked for) and status (what the reconciler last achieved) of an app in one env. */
export const Deployment = z
  .object({
    release: z.number().int().nullable().meta({ description: "The release that should run" }),
    replicas: Replicas,
    servingRelease: z
      .number()
      .int()
      .nullable()
      .meta({ description: "The release the router sends traffic to" }),
    phase: DeploymentPhase,
    message: z.string(),
    requestedRelease: z.number().int().nullable().meta({
      description: "The release last asked for; after a failed rollout, `release` is the one still serving",
    }),
    observedRelease: z
      .number()
      .int()
      .nullable()
      .meta({ description: "The release whose rollout the reconciler last settled (served or failed)" }),
    readyReplicas: z
      .number()
      .int()
      .min(0)
      .meta({ description: "Replicas answering their health check, any release" }),
    totalReplicas: z
      .number()
      .int()
      .min(0)
      .meta({ description: "Replicas the engine runs for the app, any release" }),
    lastFailure: DeploymentFailure.nullable(),
    url: z.string(),
    updatedAt: z.string().meta({ description: "When the spec or the status last changed" }),
  })
  .meta({ id: "Deployment" });
export type Deployment = z.infer<typeof Deployment>;

export const DeployRequest = z
  .strictObject({
    image: ImageRef,
    port: Port.optional(),
    replicas: Replicas.optional(),
    healthPath: HealthPath.optional(),
    healthTimeout: HealthTimeout.optional().meta({ description: "Seconds to wait for the health check" }),
    config: z
      .record(ConfigKey, ConfigValue)
      .optional()
      .meta({ description: "Release-layer values: this deploy only, above every other layer" }),
  })
  .meta({ id: "DeployRequest" });
export type DeployRequest = z.infer<typeof DeployRequest>;

export const DeployResponse = z
  .object({ release: z.number().int(), eventCursor: z.number().int(), deployment: Deployment })
  .meta({ id: "DeployResponse" });

export const RollbackRequest = z
  .strictObject({
    to: z.number().int().min(1).optional().meta({ description: "Release number; default: the one before" }),
  })
  .meta({ id: "RollbackRequest" });

export const ScaleRequest = z.strictObject({ replicas: Replicas }).meta({ id: "ScaleRequest" });

export const PromoteRequest = z
  .strictObject({
    from: EnvName.meta({ description: "The environment whose serving release's image is promoted" }),
    to: EnvName,
  })
  .meta({ id: "PromoteRequest" });
export type PromoteRequest = z.infer<typeof PromoteRequest>;
