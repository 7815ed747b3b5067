/**
 * Labels are the truth about what Berth owns: observation lists by them, and Berth never
 * touches a container or network that lacks `berth.managed=true`.
 */
export const LABEL = {
  managed: "berth.managed",
  tenant: "berth.tenant",
  env: "berth.env",
  app: "berth.app",
  release: "berth.release",
  slot: "berth.slot",
  /** Which Berth server owns the object, so two servers sharing one dockerd never collect each other's. */
  instance: "berth.instance",
} as const;

export interface WorkloadIdentity {
  tenant: string;
  env: string;
  app: string;
}

export function workloadLabels(id: WorkloadIdentity, release: number, slot: number): Record<string, string> {
  return {
    [LABEL.managed]: "true",
    [LABEL.tenant]: id.tenant,
    [LABEL.env]: id.env,
    [LABEL.app]: id.app,
    [LABEL.release]: String(release),
    [LABEL.slot]: String(slot),
  };
}

/** Dots cannot occur in DNS labels, so this name is unambiguous, and Docker refuses a duplicate. */
export const containerName = (id: WorkloadIdentity, release: number, slot: number) =>
  `berth.${id.tenant}.${id.env}.${id.app}.r${release}.${slot}`;

export const appKey = (id: WorkloadIdentity) => `${id.tenant}/${id.env}/${id.app}`;

export function parseAppKey(key: string): WorkloadIdentity | undefined {
  const [tenant, env, app, ...rest] = key.split("/");
  if (!tenant || !env || !app || rest.length > 0) return undefined;
  return { tenant, env, app };
}
