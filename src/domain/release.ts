import { z } from "zod";
import { HealthPath, Port } from "./runtime-spec.js";

/**
 * Immutable once written: what runs is pinned by image ID, so re-tagging an image never
 * changes a release. Rollback writes a new release copied from an old one.
 */
export const Release = z
  .object({
    number: z.number().int().min(1),
    image: z.string().meta({ description: "The reference the user deployed" }),
    imageId: z.string().meta({ description: "The image ID it resolved to; this is what runs" }),
    port: Port,
    healthPath: HealthPath,
    source: z.enum(["image", "build", "rollback"]),
    rolledBackFrom: z.number().int().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: "Release" });
export type Release = z.infer<typeof Release>;
