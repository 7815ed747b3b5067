import { DomainError } from "../domain/domain-error.js";
import { type Elevation, type ExceptionKind, judgeElevation } from "../domain/isolation.js";
import type { Store } from "../store/store.js";
import { elevationOf } from "./isolation-guard.js";
import { layerName } from "./layer-name.js";

const ELEVATED = ["privileged", "hostNetwork", "hostPid", "capAdd", "devices", "hostMounts"] as const;

/** One thing of a tenant's that asks for an elevation: a settings row, or a release run with N replicas. */
interface Use {
  what: string;
  elevation: Elevation;
  /** Same signature before and after: the write did not touch it. */
  signature: string;
  /** For runs: how many replicas; more after than before is new use. */
  replicas: number;
  release: number | null;
}

const elevates = (e: Elevation) =>
  e.privileged || e.hostNetwork || e.hostPid || e.capAdd.length + e.devices.length + e.hostMounts.length > 0;

/**
 * Everything of the tenant that elevates: settings rows first, then what runs (deployments,
 * canaries). A release made in this transaction is named as its app in its environment; one that
 * existed before (a rollback, a canary of it, more replicas of it) by its number too.
 */
async function uses(
  tx: Store,
  tenantId: number,
  newReleasesAbove = Number.POSITIVE_INFINITY,
): Promise<{ settings: Map<string, Use>; runs: Map<string, Use> }> {
  const settings = new Map<string, Use>();
  for (const r of await tx.config.settingsNamed(tenantId, ELEVATED)) {
    const elevation = elevationOf({ [r.name]: r.value });
    if (!elevates(elevation)) continue;
    const key = `${r.app_id}/${r.env_id}/${r.name}`;
    settings.set(key, {
      what: layerName(r.app, r.env),
      elevation,
      signature: JSON.stringify(r.value),
      replicas: 0,
      release: null,
    });
  }
  const runs = new Map<string, Use>();
  const add = (prefix: string, r: Awaited<ReturnType<Store["deployments"]["withResources"]>>[number]) => {
    if (r.release === null || r.replicas <= 0) return;
    if (r.resources === null) return;
    const elevation = elevationOf(r.resources);
    if (!elevates(elevation)) return;
    const made = r.release_id !== null && Number(r.release_id) > newReleasesAbove;
    runs.set(`${prefix}/${r.app_id}/${r.env_id}`, {
      what: made ? `${r.app} in ${r.env}` : `release ${r.release} of ${r.app} in ${r.env}`,
      elevation,
      signature: String(r.release),
      replicas: r.replicas,
      release: r.release,
    });
  };
  for (const r of await tx.deployments.withResources(tenantId)) add("deployment", r);
  for (const r of await tx.canaries.activeWithResources(tenantId)) add("canary", r);
  return { settings, runs };
}

/**
 * The isolation policy as part of the one write path: what a tenant asks for that would break
 * its isolation (privileged mode, host namespaces, capabilities, devices, host mounts) is refused
 * unless a platform admin granted the exception. Like quotas, it is judged on what the
 * transaction changed, after its writes and before its commit: a settings row that is new or
 * changed, and a release that now runs where it did not (a new release, a rollback to an old one,
 * a canary) or with more replicas. What was already there before the write is left alone, so
 * revoking an exception stops the next change that relies on it, not unrelated ones.
 * Returns the exceptions new runs rely on, for the call's audit record.
 */
export async function isolationCheckpoint(
  tx: Store,
  name: string,
  /** The tenant as it is before the write; absent when the write creates it (a manifest). */
  existing: { id: number } | undefined,
): Promise<{ verify(): Promise<string[]> }> {
  const before = existing ? await uses(tx, existing.id) : { settings: new Map(), runs: new Map() };
  const releasesBefore = await tx.releases.maxId();
  return {
    async verify() {
      const tenant = existing ? { id: existing.id, name } : await tx.tenants.find(name);
      if (!tenant) return [];
      const after = await uses(tx, tenant.id, releasesBefore);
      const granted = (await tx.exceptions.list(tenant.id)).map((r) => ({
        kind: r.kind,
        values: r.values,
      }));
      const notes: string[] = [];
      const judge = (use: Use) => {
        const { refused, used } = judgeElevation(use.elevation, granted);
        if (refused.length > 0) {
          const kinds = [...new Set(refused.map((r) => r.kind))].join(", ");
          throw new DomainError(
            "forbidden",
            `tenant '${name}' may not run ${use.what} with ${refused.map((r) => r.what).join(", ")}: containers stay isolated from the host and from other tenants unless a platform admin grants the tenant an exception (${kinds}; 'berth policy grant KIND --tenant ${name} --reason WHY')`,
          );
        }
        return used;
      };
      for (const [key, use] of after.settings)
        if (before.settings.get(key)?.signature !== use.signature) judge(use);
      for (const [key, use] of after.runs) {
        const was = before.runs.get(key);
        if (was && was.signature === use.signature && was.replicas >= use.replicas) continue;
        const used = judge(use);
        if (used.length > 0 && was?.signature !== use.signature)
          notes.push(
            `${use.what.startsWith("release ") ? use.what : `release ${use.release} of ${use.what}`} relies on isolation exceptions: ${used.join(", ")}`,
          );
      }
      return notes;
    },
  };
}
