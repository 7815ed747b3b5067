import { z } from "zod";
import { dnsLabel, EnvName, TenantName } from "./dns-label.js";
import { ProtectionRole } from "./roles.js";

export const CreateEnvironmentRequest = z
  .strictObject({
    name: EnvName,
    cluster: dnsLabel("cluster")
      .optional()
      .meta({ description: "Run it on this cluster; default: the local engine" }),
  })
  .meta({ id: "CreateEnvironmentRequest" });
export const Environment = z
  .object({
    tenant: TenantName,
    name: EnvName,
    protectedFor: ProtectionRole.nullable().meta({
      description: "null: unprotected; otherwise the weakest role that may deploy or read secrets there",
    }),
    cluster: z.string().nullable().meta({ description: "The cluster it runs on; null: the local engine" }),
    createdAt: z.string(),
  })
  .meta({ id: "Environment" });

export const ProtectRequest = z
  .strictObject({ minRole: ProtectionRole.default("maintainer") })
  .meta({ id: "ProtectRequest" });
export type Environment = z.infer<typeof Environment>;

/**
 * Each tenant-environment gets its own Docker network, so apps of different environments cannot
 * talk. This is the domain name; an engine may scope it further (see DockerEngine).
 */
export const networkName = (tenant: string, env: string) => `berth.${tenant}.${env}`;

/** A named volume belongs to one tenant-environment, like its network. */
export const volumeName = (tenant: string, env: string, volume: string) =>
  `berth.${tenant}.${env}.vol.${volume}`;

/**
 * A link lets one app reach another across environments or tenants: both join a network of
 * their own. The underscore keeps the name apart from every berth.<tenant>.<env>.
 */
export const linkNetworkName = (id: number) => `berth.link_${id}`;
export const isLinkNetwork = (name: string) => /^berth\.link_\d+$/.test(name);
/** The link a network made by linkNetworkName is for; undefined for any other network. */
export const linkOfNetwork = (name: string): number | undefined =>
  isLinkNetwork(name) ? Number(name.slice("berth.link_".length)) : undefined;
/** The name a linked app calls the other by, on the link network only: e.g. api.prod.shared. */
export const linkAlias = (tenant: string, env: string, app: string) => `${app}.${env}.${tenant}`;
