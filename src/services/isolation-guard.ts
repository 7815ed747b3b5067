import type { Elevation } from "../domain/isolation.js";

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
