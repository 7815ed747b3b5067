import { z } from "zod";
import { TenantName } from "./dns-label.js";

/** One mutating API call: who, with which token, on what, from where, and how it ended. */
export const AuditEntry = z
  .object({
    id: z.number().int(),
    at: z.string(),
    actor: z.string().meta({ description: "The token's name, or 'anonymous' when none was accepted" }),
    tokenId: z.number().int().nullable(),
    tenant: z.string().nullable(),
    action: z.string().meta({ example: "POST /tenants/{tenant}/envs/{env}/apps/{app}/deploy" }),
    target: z.string().meta({ example: "/tenants/acme/envs/prod/apps/web/deploy" }),
    result: z.number().int().meta({ description: "HTTP status of the answer" }),
    source: z.string().meta({ description: "Client address" }),
    detail: z
      .string()
      .nullable()
      .meta({ description: "What the call relied on beyond its route, e.g. an isolation exception" }),
  })
  .meta({ id: "AuditEntry" });
export type AuditEntry = z.infer<typeof AuditEntry>;

export const AuditQuery = z.object({
  tenant: TenantName.optional().meta({ param: { name: "tenant", in: "query" } }),
  since: z.iso
    .datetime()
    .optional()
    .meta({ param: { name: "since", in: "query" }, description: "ISO-8601 time; the CLI turns 1h into one" }),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(10_000)
    .default(1000)
    .meta({ param: { name: "limit", in: "query" } }),
});
export type AuditQuery = z.infer<typeof AuditQuery>;
