import type { WorkloadIdentity } from "./labels.js";

/** Host-based routing: APP.ENV.TENANT.DOMAIN. All parts are validated DNS labels/names. */
export const appHost = (id: WorkloadIdentity, domain: string) => `${id.app}.${id.env}.${id.tenant}.${domain}`;

export function appUrl(id: WorkloadIdentity, domain: string, routerPort: number): string {
  const port = routerPort === 80 ? "" : `:${routerPort}`;
  return `http://${appHost(id, domain)}${port}/`;
}
