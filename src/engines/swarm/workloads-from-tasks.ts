import { linkOfNetwork } from "../../domain/environment.js";
import { LABEL } from "../../domain/labels.js";
import { parseIdentityLabels } from "../docker/parse-workload-labels.js";
import type { Workload, WorkloadState } from "../engine.js";
import { isHostNetwork, type ServiceLike } from "./service-info.js";

export type { ServiceLike };

import { NETWORK_LABEL } from "./service-spec.js";
import { isOverflow } from "./swarm-burst.js";

/** The parts of Engine API objects that Berth reads; everything else is ignored. */
export interface TaskLike {
  ID: string;
  ServiceID?: string;
  Slot?: number;
  NodeID?: string;
  DesiredState?: string;
  CreatedAt?: string;
  Status?: {
    State?: string;
    Err?: string;
    Message?: string;
    PortStatus?: { Ports?: { PublishedPort?: number }[] };
  };
  NetworksAttachments?: { Network?: { Spec?: { Name?: string; Labels?: Record<string, string> } } }[];
}
export interface NodeLike {
  ID: string;
  Description?: { Hostname?: string };
  Status?: { Addr?: string };
}

const PLACING = new Set([
  "new",
  "allocated",
  "pending",
  "assigned",
  "accepted",
  "preparing",
  "ready",
  "starting",
]);

/**
 * A task Swarm still means to run: placing it is `pending`; one that ended while Swarm wants it
 * running is being replaced by Swarm itself (`restarting`), so the plan must not remove it.
 */
function stateOf(task: TaskLike): WorkloadState {
  const s = task.Status?.State ?? "";
  if (s === "running") return "running";
  if (PLACING.has(s)) return "pending";
  return "restarting";
}

/** The link an attached network is for, from the labels Berth gave it. */
function linkOf(labels: Record<string, string> | undefined): number | undefined {
  const own = labels?.[LABEL.link];
  if (own !== undefined && /^\d+$/.test(own)) return Number(own);
  // Link networks made before they carried berth.link: Berth's name for them, in NETWORK_LABEL.
  const name = labels?.[NETWORK_LABEL];
  return name === undefined ? undefined : linkOfNetwork(name);
}

/**
 * A service's tasks as workloads: one per task Swarm wants running, numbered by Swarm's own
 * slot (0-based here, as everywhere in Berth); identity and release come from the labels.
 */
export function workloadsFromTasks(
  service: ServiceLike,
  tasks: readonly TaskLike[],
  nodes: ReadonlyMap<string, NodeLike>,
  hostNetwork: boolean,
): Workload[] {
  const labels = service.Spec?.Labels;
  const identity = parseIdentityLabels(labels);
  const release = Number(labels?.[LABEL.release]);
  if (!identity || labels?.[LABEL.managed] !== "true" || !Number.isInteger(release)) return [];
  const wanted = tasks
    .filter((t) => t.ServiceID === service.ID && t.DesiredState === "running")
    .sort((a, b) => (a.Slot ?? 0) - (b.Slot ?? 0));
  return wanted.map((task) => {
    const node = task.NodeID ? nodes.get(task.NodeID) : undefined;
    const state = stateOf(task);
    const published = task.Status?.PortStatus?.Ports?.find((p) => (p.PublishedPort ?? 0) > 0)?.PublishedPort;
    const reachable = state === "running" && node?.Status?.Addr && (hostNetwork || published);
    return {
      id: task.ID,
      name: `${service.Spec?.Name ?? service.ID}.${task.Slot ?? 0}`,
      identity,
      release,
      slot: Math.max(0, (task.Slot ?? 1) - 1),
      state,
      ready: null,
      hostPort: null,
      address: reachable ? (node?.Status?.Addr ?? null) : null,
      publishedPort: hostNetwork ? null : (published ?? null),
      node: node?.Description?.Hostname ?? null,
      detail: state === "running" ? null : task.Status?.Err || task.Status?.Message || null,
      links: (task.NetworksAttachments ?? [])
        .map((a) => linkOf(a.Network?.Spec?.Labels))
        .filter((l): l is number => l !== undefined)
        .sort((a, b) => a - b),
      createdAt: task.CreatedAt ?? new Date(0).toISOString(),
    };
  });
}

/**
 * Every release service's tasks. A release's overflow service is listed after its preferred one,
 * so the replicas a scale-down removes first (the overflow's) are the ones listed last.
 */
export function releaseWorkloads(
  services: readonly ServiceLike[],
  tasks: readonly TaskLike[],
  nodes: ReadonlyMap<string, NodeLike>,
): Workload[] {
  const ordered = [...services]
    .filter((s) => s.Spec?.Labels?.[LABEL.job] === undefined)
    .sort((a, b) => Number(isOverflow(a.Spec?.Labels)) - Number(isOverflow(b.Spec?.Labels)));
  return ordered.flatMap((s) => workloadsFromTasks(s, tasks, nodes, isHostNetwork(s)));
}
