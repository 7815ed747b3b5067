import { z } from "zod";
import { AppName, EnvName, TenantName } from "./dns-label.js";

const End = z.object({ tenant: TenantName, env: EnvName, app: AppName });

export const LinkRequest = z
  .strictObject({
    tenant: TenantName.optional().meta({ description: "The other app's tenant; default: this one" }),
    env: EnvName,
    app: AppName,
  })
  .meta({ id: "LinkRequest", description: "The app (in another environment or tenant) this one may reach" });
export type LinkRequest = z.infer<typeof LinkRequest>;

export const Link = z
  .object({
    id: z.number().int(),
    from: End,
    to: End,
    alias: z.string().meta({
      description: "The name `from` reaches `to` by, e.g. api.prod.shared",
      example: "api.prod.shared",
    }),
    createdBy: z.string(),
    createdAt: z.string(),
  })
  .meta({ id: "Link" });
export type Link = z.infer<typeof Link>;
