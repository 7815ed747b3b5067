import { z } from "zod";

/** A step of a rollout, written by the reconciler, read by `berth deploy` to show progress. */
export const DeploymentEventKind = z.enum([
  "release-created",
  "container-started",
  "container-healthy",
  "container-removed",
  "switched",
  "draining",
  "serving",
  "failed",
  "replaced",
  "scaled",
  "canary-started",
  "canary-routed",
  "canary-updated",
  "canary-step",
  "canary-promoting",
  "canary-promoted",
  "canary-aborted",
  "canary-failed",
]);
export type DeploymentEventKind = z.infer<typeof DeploymentEventKind>;

export const DeploymentEvent = z
  .object({
    id: z.number().int(),
    at: z.string(),
    release: z.number().int().nullable(),
    kind: DeploymentEventKind,
    message: z.string(),
  })
  .meta({ id: "DeploymentEvent" });
export type DeploymentEvent = z.infer<typeof DeploymentEvent>;
