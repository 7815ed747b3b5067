import { z } from "zod";

export const RotateKeyRequest = z
  .strictObject({
    prune: z
      .boolean()
      .default(false)
      .meta({ description: "Drop old keys from the ring once nothing is sealed with them" }),
  })
  .meta({ id: "RotateKeyRequest" });

export const RotateKeyResult = z
  .object({
    keyId: z.string().meta({ description: "The new key, which now seals everything" }),
    resealed: z.object({
      secrets: z.number().int(),
      releases: z.number().int(),
      certificates: z.number().int(),
    }),
    keys: z.array(z.string()).meta({ description: "Key ids left in the ring, newest first" }),
    pruned: z.array(z.string()),
  })
  .meta({ id: "RotateKeyResult" });
export type RotateKeyResult = z.infer<typeof RotateKeyResult>;
