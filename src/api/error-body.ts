import { z } from "zod";

/** Every error the API returns has this shape: one sentence, a stable code, and the field at fault. */
export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string().meta({ example: "invalid" }),
      message: z.string().meta({ example: "name must be a DNS label" }),
      field: z.string().optional(),
      issues: z
        .array(z.object({ path: z.array(z.union([z.string(), z.number()])), message: z.string() }))
        .optional()
        .meta({ description: "Every validation problem (up to 50), for inputs such as manifests" }),
    }),
  })
  .meta({ id: "ErrorBody" });
export type ErrorBody = z.infer<typeof ErrorBody>;
