/**
 * The authenticated context each sealed value is bound to: a ciphertext moved to another row
 * (another key, app, environment or release) fails to open instead of leaking into it.
 */
export const entryContext = (r: { tenant_id: number; app_id: number; env_id: number; key: string }) =>
  `config:${r.tenant_id}:${r.app_id}:${r.env_id}:${r.key}`;
export const releaseContext = (appId: number, envId: number, number: number) =>
  `release:${appId}:${envId}:${number}`;
/** An instance's generated secrets, bound to its tenant, environment and name. */
export const instanceContext = (tenantId: number, envId: number, name: string) =>
  `instance:${tenantId}:${envId}:${name}`;
/** A binding's own credentials, bound to the binding's row. */
export const bindingContext = (id: number) => `binding:${id}`;
