import { z } from "zod";

/** RFC 1123 label: what tenant, environment and app names must be, since they become host names. */
export const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export const dnsLabel = (what: string) =>
  z
    .string()
    .regex(
      DNS_LABEL,
      `${what} must be a DNS label: 1-63 lower-case letters, digits or '-', starting and ending with a letter or digit`,
    )
    .meta({ description: `${what} name (a DNS label)`, example: "web" });

/** A DNS name made of labels, e.g. the router's base domain. */
export const DNS_NAME =
  /^(?=.{1,200}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

export const TenantName = dnsLabel("tenant");
export const EnvName = dnsLabel("environment");
export const AppName = dnsLabel("app");
