import { z } from "zod";
import { Deployment } from "./deployment.js";
import { AppName, EnvName, TenantName } from "./dns-label.js";

export const CreateAppRequest = z.strictObject({ name: AppName }).meta({ id: "CreateAppRequest" });
export const App = z.object({ tenant: TenantName, name: AppName, createdAt: z.string() }).meta({ id: "App" });
export type App = z.infer<typeof App>;

export const AppInfo = App.extend({
  deployments: z.array(Deployment.extend({ env: EnvName })),
}).meta({ id: "AppInfo" });
export type AppInfo = z.infer<typeof AppInfo>;
