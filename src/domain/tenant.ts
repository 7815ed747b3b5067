import { z } from "zod";
import { TenantName } from "./dns-label.js";
import { UserName } from "./identity.js";

export const CreateTenantRequest = z
  .strictObject({
    name: TenantName,
    owner: UserName.optional().meta({ description: "A user who becomes the tenant's first owner" }),
  })
  .meta({ id: "CreateTenantRequest" });
export const Tenant = z.object({ name: TenantName, createdAt: z.string() }).meta({ id: "Tenant" });
export type Tenant = z.infer<typeof Tenant>;
