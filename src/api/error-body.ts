import { z } from "zod";

/** Every error the API returns has this shape: one sentence, a stable code, and the field at fault. */
export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string().meta({ example: "invalid" }),
      message: z.string().meta({ example: "name must be a DNS label" }),
      field: z.string().optional(),
    }),
  })
  .meta({ id: "Error" });
export type ErrorBody = z.infer<typeof ErrorBody>;
