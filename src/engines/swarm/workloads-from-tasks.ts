import { LABEL } from "../../domain/labels.js";
import { parseIdentityLabels } from "../docker/parse-workload-labels.js";
import type { Workload, WorkloadSpec, WorkloadState } from "../engine.js";
import { isHostNetwork, type ServiceLike } from "./service-info.js";

export type { ServiceLike };

import { isOverflow, releaseKey } from "./swarm-burst.js";

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
  NetworksAttachments?: { Network?: { Spec?: { Name?: string } } }[];
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

/**
 * Tasks as workloads: one per slot Swarm wants running, numbered densely in Swarm's slot order,
 * so a release of N replicas shows slots 0..N-1 as the plan expects.
 */
export function workloadsFromTasks(
  service: ServiceLike,
  tasks: readonly TaskLike[],
  nodes: ReadonlyMap<string, NodeLike>,
  names: { unscoped(engineName: string): string },
  hostNetwork: boolean,
  /** Where this service's slots start: an overflow service's follow its release's preferred one. */
  firstSlot = 0,
): Workload[] {
  const labels = service.Spec?.Labels;
  const identity = parseIdentityLabels(labels);
  const release = Number(labels?.[LABEL.release]);
  if (!identity || labels?.[LABEL.managed] !== "true" || !Number.isInteger(release)) return [];
  const wanted = tasks
    .filter((t) => t.ServiceID === service.ID && t.DesiredState === "running")
    .sort((a, b) => (a.Slot ?? 0) - (b.Slot ?? 0));
  return wanted.map((task, index) => {
    const slot = firstSlot + index;
    const node = task.NodeID ? nodes.get(task.NodeID) : undefined;
    const state = stateOf(task);
    const published = task.Status?.PortStatus?.Ports?.find((p) => (p.PublishedPort ?? 0) > 0)?.PublishedPort;
    const reachable = state === "running" && node?.Status?.Addr && (hostNetwork || published);
    return {
      id: task.ID,
      name: `${service.Spec?.Name ?? service.ID}.${task.Slot ?? slot + 1}`,
      identity,
      release,
      slot,
      state,
      hostPort: null,
      address: reachable ? (node?.Status?.Addr ?? null) : null,
      publishedPort: hostNetwork ? null : (published ?? null),
      node: node?.Description?.Hostname ?? null,
      detail: state === "running" ? null : task.Status?.Err || task.Status?.Message || null,
      networks: (task.NetworksAttachments ?? [])
        .map((a) => a.Network?.Spec?.Name)
        .filter((n): n is string => n !== undefined && n !== "ingress")
        .map((n) => names.unscoped(n))
        .sort(),
      createdAt: task.CreatedAt ?? new Date(0).toISOString(),
    };
  });
}

/** What start() can say at once: Swarm has the replica scheduled, not yet placed. */
export function scheduled(id: string, name: string, spec: WorkloadSpec): Workload {
  return {
    id,
    name: `${name}.${spec.slot + 1}`,
    identity: spec.identity,
    release: spec.release,
    slot: spec.slot,
    state: "pending",
    hostPort: null,
    address: null,
    publishedPort: null,
    node: null,
    detail: "scheduled",
    networks: [],
    createdAt: new Date().toISOString(),
  };
}

/** Every service's tasks; a release's overflow service numbers its tasks after its preferred pool's. */
export function releaseWorkloads(
  services: readonly ServiceLike[],
  tasks: readonly TaskLike[],
  nodes: ReadonlyMap<string, NodeLike>,
  names: { unscoped(engineName: string): string },
): Workload[] {
  const ordered = [...services].sort(
    (a, b) => Number(isOverflow(a.Spec?.Labels)) - Number(isOverflow(b.Spec?.Labels)),
  );
  const next = new Map<string, number>();
  return ordered.flatMap((s) => {
    const key = releaseKey(s.Spec?.Labels);
    const ws = workloadsFromTasks(s, tasks, nodes, names, isHostNetwork(s), next.get(key) ?? 0);
    next.set(key, (next.get(key) ?? 0) + ws.length);
    return ws;
  });
}
