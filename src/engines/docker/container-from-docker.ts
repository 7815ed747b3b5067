import type Docker from "dockerode";
import { networkName } from "../../domain/environment.js";
import type { WorkloadIdentity } from "../../domain/labels.js";
import type { WorkloadState } from "../../domain/workload.js";
import type { Container } from "./container-spec.js";
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

/** How this engine spells the domain's network names on its dockerd (see DockerEngine's scoping). */
export interface NetworkNames {
  scoped(domainName: string): string;
  unscoped(engineName: string): string;
}

/**
 * The address the router and probe use: on the host network (an admin's exception), the host's
 * loopback; otherwise the container's address on its environment network (it may also be on
 * link networks, whose addresses only the linked apps share).
 */
function addressOf(
  networks: Record<string, { IPAddress?: string }> | undefined,
  networkMode: string | undefined,
  identity: WorkloadIdentity,
  names: NetworkNames,
): string | null {
  if (networkMode === "host") return LOOPBACK;
  return networks?.[names.scoped(networkName(identity.tenant, identity.env))]?.IPAddress || null;
}

const networksOf = (networks: Record<string, unknown> | undefined, names: NetworkNames) =>
  Object.keys(networks ?? {})
    .map((n) => names.unscoped(n))
    .sort();

/** An unknown state from a newer dockerd is treated as dead, so the reconciler replaces it. */
const toState = (state: string | undefined): WorkloadState =>
  state && STATES.has(state) ? (state as WorkloadState) : "dead";

const toHealth = (s: string | undefined): Container["health"] =>
  s === "healthy" || s === "unhealthy" || s === "starting" ? s : null;

/** The list entry says it in its status text only: "Up 5 minutes (healthy)", "(health: starting)". */
function healthOfStatus(status: string | undefined): Container["health"] {
  if (!status) return null;
  if (status.includes("(healthy)")) return "healthy";
  if (status.includes("(unhealthy)")) return "unhealthy";
  return status.includes("(health: starting)") ? "starting" : null;
}

/** Maps a /containers/json entry; undefined when its labels are not a valid Berth workload. */
export function containerFromSummary(info: Docker.ContainerInfo, names: NetworkNames): Container | undefined {
  const parsed = parseWorkloadLabels(info.Labels);
  if (!parsed) return undefined;
  const port = (info.Ports ?? []).find((p) => p.IP === LOOPBACK && p.PublicPort > 0);
  return {
    id: info.Id,
    name: (info.Names?.[0] ?? "").replace(/^\//, ""),
    ...parsed,
    state: toState(info.State),
    hostPort: port ? port.PublicPort : null,
    address: addressOf(info.NetworkSettings?.Networks, info.HostConfig?.NetworkMode, parsed.identity, names),
    networks: networksOf(info.NetworkSettings?.Networks, names),
    health: healthOfStatus(info.Status),
    labels: info.Labels ?? {},
    createdAt: new Date(info.Created * 1000).toISOString(),
  };
}

/** Maps /containers/{id}/json, whose shape differs from the list entry in every field used here. */
export function containerFromInspect(
  info: Docker.ContainerInspectInfo,
  names: NetworkNames,
): Container | undefined {
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
    address: addressOf(info.NetworkSettings?.Networks, info.HostConfig?.NetworkMode, parsed.identity, names),
    networks: networksOf(info.NetworkSettings?.Networks, names),
    health: toHealth(info.State?.Health?.Status),
    labels: info.Config?.Labels ?? {},
    createdAt: new Date(info.Created).toISOString(),
  };
}
