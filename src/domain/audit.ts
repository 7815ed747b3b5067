import { z } from "zod";
import { EnvName, TenantName } from "./dns-label.js";
import { UserName } from "./identity.js";

/** The kinds of object an audit row can name. */
export const AuditObjectKind = z.enum([
  "tenant",
  "environment",
  "app",
  "deployment",
  "release",
  "config",
  "settings",
  "canary",
  "route",
  "user",
  "token",
  "member",
  "quota",
  "exception",
  "link",
  "cluster",
  "node",
  "burst",
  "build",
  "key",
  "manifest",
  "session",
  "capability",
  "service",
  "binding",
]);
export type AuditObjectKind = z.infer<typeof AuditObjectKind>;

export const AuditObject = z
  .object({ kind: AuditObjectKind, name: z.string() })
  .meta({ id: "AuditObject", description: "What a call created or changed" });
export type AuditObject = z.infer<typeof AuditObject>;

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
    env: z.string().nullable().meta({ description: "The environment of the object, when it has one" }),
    object: AuditObject.nullable().meta({
      description: "What the call created or changed; null for a call that changed nothing",
    }),
    change: z
      .string()
      .nullable()
      .meta({ description: "What changed, in non-secret fields only", example: "image=web:1.4 replicas=3" }),
    hash: z
      .string()
      .nullable()
      .meta({ description: "SHA-256 chaining this row to the one before (see 'berth audit verify')" }),
  })
  .meta({ id: "AuditEntry" });
export type AuditEntry = z.infer<typeof AuditEntry>;

export const AuditQuery = z.object({
  tenant: TenantName.optional().meta({ param: { name: "tenant", in: "query" } }),
  env: EnvName.optional().meta({ param: { name: "env", in: "query" } }),
  actor: UserName.optional().meta({ param: { name: "actor", in: "query" } }),
  object: z
    .string()
    .regex(/^[a-z]+(\/[A-Za-z0-9._@/-]{1,200})?$/, "object must be KIND or KIND/NAME, e.g. app/web")
    .optional()
    .meta({ param: { name: "object", in: "query" }, description: "KIND or KIND/NAME, e.g. app/web" }),
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

export const AuditExportQuery = z.object({
  format: z
    .enum(["jsonl"])
    .default("jsonl")
    .meta({ param: { name: "format", in: "query" } }),
  tenant: TenantName.optional().meta({ param: { name: "tenant", in: "query" } }),
  since: z.iso
    .datetime()
    .optional()
    .meta({ param: { name: "since", in: "query" }, description: "ISO-8601 time" }),
});
export type AuditExportQuery = z.infer<typeof AuditExportQuery>;

export const AuditVerifyQuery = z.object({
  head: z
    .string()
    .regex(/^[0-9a-f]{64}$/, "head must be the 64 hex digits an earlier verify printed")
    .optional()
    .meta({
      param: { name: "head", in: "query" },
      description: "A head kept from an earlier verify: it must still be the hash of a row",
    }),
});
export type AuditVerifyQuery = z.infer<typeof AuditVerifyQuery>;

export const AuditVerifyReport = z
  .object({
    ok: z.boolean(),
    rows: z.number().int().meta({ description: "Rows checked" }),
    head: z
      .string()
      .meta({ description: "Hash of the last row: keep it to check later that nothing was cut" }),
    problems: z.array(
      z.object({
        id: z.number().int(),
        problem: z.enum(["edited", "inserted", "deleted-before", "missing-at-end", "head-not-found"]),
      }),
    ),
  })
  .meta({ id: "AuditVerifyReport" });
export type AuditVerifyReport = z.infer<typeof AuditVerifyReport>;
