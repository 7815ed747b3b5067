import type Docker from "dockerode";
import type { Workload, WorkloadState } from "../engine.js";
import { parseWorkloadLabels } from "./parse-workload-labels.js";

/** Berth publishes only on loopback; a binding elsewhere was not made by Berth and is not a route. */
const LOOPBACK = "127.0.0.1";

const STATES: ReadonlySet<string> = new Set<WorkloadState>([
  "created",
  "running",
  "restarting",
  "paused",
  "exited",
  "dead",
  "removing",
]);

/**
 * The address the router and probe use: on the environment network, the first address Docker
 * reports; on the host network (an admin's exception), the host's loopback.
 */
function firstAddress(
  networks: Record<string, { IPAddress?: string }> | undefined,
  networkMode: string | undefined,
): string | null {
  if (networkMode === "host") return LOOPBACK;
  for (const n of Object.values(networks ?? {})) if (n?.IPAddress) return n.IPAddress;
  return null;
}

/** An unknown state from a newer dockerd is treated as dead, so the reconciler replaces it. */
const toState = (state: string | undefined): WorkloadState =>
  state && STATES.has(state) ? (state as WorkloadState) : "dead";

/** Maps a /containers/json entry; undefined when its labels are not a valid Berth workload. */
export function workloadFromSummary(info: Docker.ContainerInfo): Workload | undefined {
  const parsed = parseWorkloadLabels(info.Labels);
  if (!parsed) return undefined;
  const port = (info.Ports ?? []).find((p) => p.IP === LOOPBACK && p.PublicPort > 0);
  return {
    id: info.Id,
    name: (info.Names?.[0] ?? "").replace(/^\//, ""),
    ...parsed,
    state: toState(info.State),
    hostPort: port ? port.PublicPort : null,
    address: firstAddress(info.NetworkSettings?.Networks, info.HostConfig?.NetworkMode),
    createdAt: new Date(info.Created * 1000).toISOString(),
  };
}

/** Maps /containers/{id}/json, whose shape differs from the list entry in every field used here. */
export function workloadFromInspect(info: Docker.ContainerInspectInfo): Workload | undefined {
  const parsed = parseWorkloadLabels(info.Config?.Labels);
  if (!parsed) return undefined;
  // Docker reports null (not []) for exposed ports that are not published.
  const bindings = Object.values(info.NetworkSettings?.Ports ?? {}).flatMap((b) => b ?? []);
  const binding = bindings.find((b) => b.HostIp === LOOPBACK && Number(b.HostPort) > 0);
  return {
    id: info.Id,
    name: info.Name.replace(/^\//, ""),
    ...parsed,
    state: toState(info.State?.Status),
    hostPort: binding ? Number(binding.HostPort) : null,
    address: firstAddress(info.NetworkSettings?.Networks, info.HostConfig?.NetworkMode),
    createdAt: new Date(info.Created).toISOString(),
  };
}
