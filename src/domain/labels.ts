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
  /** A run-to-completion job's name (its container or service is not a release's replica). */
  job: "berth.job",
  /** When a job is stopped if it still runs (ISO 8601). */
  deadline: "berth.deadline",
  /** A named volume's own name; on a cluster, with berth.node, where it lives. */
  volume: "berth.volume",
  node: "berth.node",
  /** The link a network is for. */
  link: "berth.link",
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

/** A job's container: `job` cannot be a release's `rN`, and app names have no dots. */
export const jobContainerName = (id: WorkloadIdentity, job: string) =>
  `berth.${id.tenant}.${id.env}.${id.app}.job.${job}`;

/**
 * Reconciler keys name a kind and an object of it: `app/TENANT/ENV/APP` now; `instance/...`,
 * `build/ID` and `job/ID` fit the same shape. Each kind has its own sync handler.
 */
export const appKey = (id: WorkloadIdentity) => `app/${id.tenant}/${id.env}/${id.app}`;

/** The kind of a key and the rest of it (what that kind's handler reads); undefined if malformed. */
export function parseKey(key: string): { kind: string; name: string } | undefined {
  const slash = key.indexOf("/");
  if (slash <= 0 || slash === key.length - 1) return undefined;
  return { kind: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** The app a whole `app/TENANT/ENV/APP` key stands for; undefined for any other key. */
export function parseAppKey(key: string): WorkloadIdentity | undefined {
  const parsed = parseKey(key);
  return parsed?.kind === "app" ? parseAppName(parsed.name) : undefined;
}

/** The app an `app/...` key's name (TENANT/ENV/APP) stands for. */
export function parseAppName(name: string): WorkloadIdentity | undefined {
  const [tenant, env, app, ...rest] = name.split("/");
  if (!tenant || !env || !app || rest.length > 0) return undefined;
  return { tenant, env, app };
}
