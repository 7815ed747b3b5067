import { resourcesOfRow } from "../config/open-release.js";
import { DomainError } from "../domain/domain-error.js";
import { type Elevation, type ExceptionKind, judgeElevation } from "../domain/isolation.js";
import type { Store } from "../store/store.js";

/** The elevated part of settings or of a release's resources (absent fields elevate nothing). */
export function elevationOf(s: {
  privileged?: boolean | null;
  hostNetwork?: boolean | null;
  hostPid?: boolean | null;
  capAdd?: readonly string[] | null;
  devices?: readonly string[] | null;
  hostMounts?: readonly { hostPath: string }[] | null;
}): Elevation {
  return {
    privileged: s.privileged === true,
    hostNetwork: s.hostNetwork === true,
    hostPid: s.hostPid === true,
    capAdd: s.capAdd ?? [],
    devices: s.devices ?? [],
    hostMounts: s.hostMounts ?? [],
  };
}

/**
 * Refuses what breaks a tenant's isolation unless a platform admin granted an exception for it;
 * returns the exceptions relied on. Checked when settings are written and again whenever a
 * release is made, so a revoked exception stops the next release.
 */
export async function assertIsolation(
  tx: Store,
  tenant: { id: number; name: string },
  elevation: Elevation,
  what: string,
): Promise<string[]> {
  const granted = (await tx.exceptions.list(tenant.id)).map((r) => ({
    kind: r.kind as ExceptionKind,
    values: JSON.parse(r.values_json) as string[],
  }));
  const { refused, used } = judgeElevation(elevation, granted);
  if (refused.length > 0) {
    const kinds = [...new Set(refused.map((r) => r.kind))].join(", ");
    throw new DomainError(
      "forbidden",
      `tenant '${tenant.name}' may not run ${what} with ${refused.map((r) => r.what).join(", ")}: containers stay isolated from the host and from other tenants unless a platform admin grants the tenant an exception (${kinds}; 'berth policy grant KIND --tenant ${tenant.name} --reason WHY')`,
    );
  }
  return used;
}

/**
 * An existing release run again (a canary of release N, its promotion, more replicas of it):
 * the exceptions it relies on must still hold, or revoking one would not stop it.
 */
export async function assertReleaseIsolation(
  tx: Store,
  where: { tenant: { id: number; name: string }; env: { name: string }; app: { name: string } },
  release: { number: number; port: number; health_path: string; resources_json: string },
): Promise<void> {
  await assertIsolation(
    tx,
    where.tenant,
    elevationOf(resourcesOfRow(release)),
    `release ${release.number} of ${where.app.name} in ${where.env.name}`,
  );
}
