import { z } from "zod";
import { Cidr } from "./domain/cidr.js";
import { DNS_NAME } from "./domain/dns-label.js";

const HostPort = z
  .string()
  .regex(/^(\d{1,3}(\.\d{1,3}){3}|localhost):\d{1,5}$/, "--listen must be HOST:PORT, e.g. 127.0.0.1:7070");

/** `berth server` options, checked before anything starts. */
export const ServerConfig = z.object({
  dataDir: z
    .string()
    .regex(/^\/[A-Za-z0-9._/-]+$/, "--data-dir must be an absolute path of letters, digits and . _ / -"),
  keyring: z
    .string()
    .regex(/^\/[A-Za-z0-9._/-]+$/, "--keyring must be an absolute path of letters, digits and . _ / -")
    .optional(),
  listen: HostPort,
  routerHost: z.string().regex(/^\d{1,3}(\.\d{1,3}){3}$/, "--router-host must be an IPv4 address"),
  routerPort: z.coerce.number().int().min(1).max(65535),
  routerHttpsPort: z.coerce.number().int().min(1).max(65535),
  trustedProxies: z.array(Cidr.meta({ description: "--trusted-proxy" })).max(64),
  domain: z.string().regex(DNS_NAME, "--domain must be a DNS name such as localhost or apps.example.com"),
  drainMs: z.coerce.number().int().min(0).max(600_000),
  resyncSeconds: z.coerce.number().int().min(5).max(3600),
  healthPeriodSeconds: z.coerce.number().int().min(1).max(3600).default(10),
  registry: z
    .string()
    .regex(/^\d{1,3}(\.\d{1,3}){3}:\d{1,5}$/, "--registry must be IPv4:PORT, e.g. 10.201.0.1:5000")
    .optional(),
  // The messages never quote the value: it may hold a password.
  database: z
    .string()
    .max(2048, "--database must be at most 2048 characters")
    .regex(
      /^postgres(ql)?:\/\/[\x21-\x7e]+$/,
      "--database must be a postgres:// or postgresql:// URL of printable characters without spaces, e.g. postgres://berth@127.0.0.1:5432/berth",
    )
    .optional(),
});
export type ServerConfig = z.infer<typeof ServerConfig>;

/** The router also listens on the IPv6 twin of its IPv4 address, so ::1 clients reach it too. */
export function routerListenHosts(routerHost: string): string[] {
  if (routerHost === "0.0.0.0") return [routerHost, "[::]"];
  if (routerHost === "127.0.0.1") return [routerHost, "[::1]"];
  return [routerHost];
}
