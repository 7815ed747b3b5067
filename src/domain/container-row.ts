import { z } from "zod";

/** One row of `berth ps`: a replica as the reconciler last saw it, with its last health verdict. */
export const ContainerRow = z
  .object({
    id: z.string(),
    name: z.string(),
    release: z.number().int(),
    slot: z.number().int(),
    state: z.string(),
    health: z.enum(["healthy", "unhealthy", "starting", "unknown"]),
    hostPort: z.number().int().nullable(),
    node: z
      .string()
      .nullable()
      .meta({ description: "The cluster node it runs on; null on the local engine" }),
    detail: z.string().nullable().meta({ description: "Why it is not running yet, e.g. no suitable node" }),
    serving: z.boolean(),
    createdAt: z.string(),
    lastProbeAt: z
      .string()
      .nullable()
      .meta({ description: "When its health was last checked; null: never (not running yet)" }),
    observedAt: z.string().meta({
      description: "When the reconciler last saw it: an old time means it has not been able to look since",
    }),
  })
  .meta({ id: "ContainerRow" });
export type ContainerRow = z.infer<typeof ContainerRow>;
