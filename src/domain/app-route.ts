import { z } from "zod";
import { DNS_NAME } from "./dns-label.js";

/**
 * A URL path prefix: segments of unreserved characters, no '..', no trailing '/'.
 * "/api" serves /api and everything under /api/.
 */
export const ROUTE_PATH = /^\/(?:[A-Za-z0-9_~-][A-Za-z0-9._~-]*(?:\/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)*)?$/;

export const RouteHost = z
  .string()
  .max(200)
  .regex(DNS_NAME, "must be a lower-case DNS name such as www.example.com")
  .meta({ example: "www.example.com" });

export const RoutePath = z
  .string()
  .max(256)
  .regex(ROUTE_PATH, "must be '/' or a path such as /api/v1: segments of letters, digits and . _ ~ -")
  .refine((p) => !p.split("/").some((s) => s === "." || s === ".."), { error: "cannot contain . or .." })
  .meta({ example: "/api" });

export const TlsMode = z
  .enum(["none", "internal", "uploaded"])
  .meta({ description: "internal: a certificate from Berth's own CA; uploaded: certPem and keyPem" });
export type TlsMode = z.infer<typeof TlsMode>;

export const AppRouteRequest = z
  .strictObject({
    host: RouteHost,
    path: RoutePath.default("/"),
    tls: TlsMode.default("none"),
    certPem: z.string().max(65_536).optional(),
    keyPem: z.string().max(65_536).optional(),
    redirectHttps: z.boolean().default(false).meta({ description: "Answer plain HTTP with a 308 to HTTPS" }),
  })
  .refine((r) => (r.tls === "uploaded") === (r.certPem !== undefined && r.keyPem !== undefined), {
    error: "certPem and keyPem are needed with tls 'uploaded', and only then",
    path: ["certPem"],
  })
  .refine((r) => !r.redirectHttps || r.tls !== "none", {
    error: "redirectHttps needs tls 'internal' or 'uploaded'",
    path: ["redirectHttps"],
  })
  .meta({ id: "AppRouteRequest" });
export type AppRouteRequest = z.infer<typeof AppRouteRequest>;

export const AppRoute = z
  .object({
    id: z.number().int(),
    host: z.string(),
    path: z.string(),
    tls: TlsMode,
    redirectHttps: z.boolean(),
    url: z.string(),
    certificate: z.object({ issuer: z.string(), notAfter: z.string(), fingerprint: z.string() }).nullable(),
    createdAt: z.string(),
  })
  .meta({ id: "AppRoute" });
export type AppRoute = z.infer<typeof AppRoute>;
