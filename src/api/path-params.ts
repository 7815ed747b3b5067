import { z } from "zod";
import { AppName, EnvName, TenantName } from "../domain/dns-label.js";

const param = <T extends z.ZodType>(schema: T, name: string) => schema.meta({ param: { name, in: "path" } });

export const TenantParams = z.object({ tenant: param(TenantName, "tenant") });
export const EnvParams = TenantParams.extend({ env: param(EnvName, "env") });
export const AppParams = TenantParams.extend({ app: param(AppName, "app") });
export const AppEnvParams = EnvParams.extend({ app: param(AppName, "app") });
