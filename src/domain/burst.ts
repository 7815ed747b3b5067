import { z } from "zod";
import { LABEL_KEY, LABEL_VALUE } from "./placement.js";

/** `KEY=VALUE`: the node label that names a pool. */
export const PoolLabel = z
  .string()
  .max(127)
  .refine((s) => {
    const [k, v, ...rest] = s.split("=");
    return rest.length === 0 && LABEL_KEY.test(k ?? "") && LABEL_VALUE.test(v ?? "");
  }, "a pool is a node label KEY=VALUE, e.g. cloud=private")
  .meta({ example: "cloud=private" });

export const BurstRequest = z
  .strictObject({
    prefer: PoolLabel.meta({ description: "Replicas run on nodes with this label while they fit" }),
    overflow: PoolLabel.meta({ description: "Where replicas that do not fit go (e.g. public cloud nodes)" }),
    maxOverflow: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(10)
      .meta({ description: "At most this many there" }),
  })
  .refine((r) => r.prefer !== r.overflow, {
    message: "prefer and overflow must be different pools",
    path: ["overflow"],
  })
  .meta({ id: "BurstRequest" });
export type BurstRequest = z.infer<typeof BurstRequest>;

export const Burst = z
  .object({ prefer: z.string(), overflow: z.string(), maxOverflow: z.number().int(), updatedAt: z.string() })
  .meta({ id: "Burst" });
export type Burst = z.infer<typeof Burst>;

/** What an engine needs to place a release with a burst policy. */
export interface BurstPolicy {
  prefer: string;
  overflow: string;
  maxOverflow: number;
}

/** `cloud=private` as a placement constraint, `cloud==private`. */
export const poolConstraint = (pool: string) => pool.replace("=", "==");
