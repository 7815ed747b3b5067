import { z } from "zod";
import { HealthPath, Port } from "./runtime-spec.js";
import { ReleaseResources } from "./settings.js";

/**
 * Immutable once written: image ID + resolved config + resources. Re-tagging an image or
 * changing a layer never changes a release; rollback writes a new release copied from an old one.
 */
export const Release = z
  .object({
    number: z.number().int().min(1),
    image: z.string().meta({ description: "The reference the user deployed" }),
    imageId: z.string().meta({ description: "The image ID it resolved to; this is what runs" }),
    port: Port,
    healthPath: HealthPath,
    source: z.enum(["image", "build", "rollback", "config", "promotion"]),
    rolledBackFrom: z.number().int().nullable(),
    promotedFrom: z.string().nullable().meta({ description: "ENV#N this release's image came from" }),
    resources: ReleaseResources,
    configKeys: z.array(z.string()).meta({ description: "Names of the config values it runs with" }),
    secretKeys: z.array(z.string()).meta({ description: "Names of its secret (or secret-derived) values" }),
    files: z.array(z.string()).meta({ description: "Paths of its config files" }),
    changes: z.string().meta({ description: "What changed against the release before it (names only)" }),
    createdAt: z.string(),
  })
  .meta({ id: "Release" });
export type Release = z.infer<typeof Release>;
