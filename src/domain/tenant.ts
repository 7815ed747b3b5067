import { z } from "zod";
import { TenantName } from "./dns-label.js";

export const CreateTenantRequest = z.strictObject({ name: TenantName }).meta({ id: "CreateTenantRequest" });
export const Tenant = z.object({ name: TenantName, createdAt: z.string() }).meta({ id: "Tenant" });
export type Tenant = z.infer<typeof Tenant>;
