import type Docker from "dockerode";
import { type BurstPolicy, poolConstraint } from "../../domain/burst.js";
import { satisfies } from "../../domain/placement.js";
import { replicasOf, type ServiceInfo, updateService, withReplicas } from "./service-info.js";
import type { ServiceRun } from "./service-spec.js";

/** The overflow service of a release carries this label; its tasks come after the preferred pool's. */
export const POOL_LABEL = "berth.pool";
export const isOverflow = (labels: Record<string, string> | undefined) => labels?.[POOL_LABEL] === "overflow";

/** `node.labels.cloud==private` -> constraint on the pool label, in Berth's spelling. */
const swarmPool = (pool: string) => `node.labels.${poolConstraint(pool)}`;

interface NodeView {
  ID: string;
  Spec?: { Role?: string; Availability?: string; Labels?: Record<string, string> };
  Description?: { Hostname?: string; Resources?: { NanoCPUs?: number; MemoryBytes?: number } };
  Status?: { State?: string };
}
interface TaskView {
  ServiceID?: string;
  NodeID?: string;
  DesiredState?: string;
  Status?: { State?: string };
  Spec?: { Resources?: { Reservations?: { NanoCPUs?: number; MemoryBytes?: number } } };
}

type Placement = { Constraints?: string[]; MaxReplicas?: number };
const placementOf = (s: ServiceInfo) => (s.Spec.TaskTemplate.Placement ?? {}) as Placement;
const reservationOf = (s: ServiceInfo) =>
  (
    s.Spec.TaskTemplate.Resources as
      | { Reservations?: { NanoCPUs?: number; MemoryBytes?: number } }
      | undefined
  )?.Reservations ?? {};

/** Swarm constraints as Berth wrote them, back into Berth's spelling, to test nodes against. */
const berthConstraints = (constraints: string[]) => constraints.map((c) => c.replace(/^node\.labels\./, ""));

/**
 * How many more replicas of `service` the nodes could take now: nodes that are ready, active and
 * satisfy its constraints, each up to its max-per-node and its free reservations. Swarm's own
 * scheduler decides where they go; this only says whether asking it is worth it.
 */
export function room(service: ServiceInfo, nodes: NodeView[], tasks: TaskView[]): number {
  const { Constraints = [], MaxReplicas } = placementOf(service);
  const want = reservationOf(service);
  let total = 0;
  for (const n of nodes) {
    if (n.Status?.State !== "ready" || (n.Spec?.Availability ?? "active") !== "active") continue;
    const attrs = {
      role: n.Spec?.Role ?? "worker",
      hostname: n.Description?.Hostname ?? "",
      labels: n.Spec?.Labels ?? {},
    };
    if (!satisfies(attrs, berthConstraints(Constraints))) continue;
    const here = tasks.filter((t) => t.NodeID === n.ID && t.DesiredState === "running");
    let fits = MaxReplicas ? MaxReplicas - here.filter((t) => t.ServiceID === service.ID).length : 1_000;
    const used = (k: "NanoCPUs" | "MemoryBytes") =>
      here.reduce((sum, t) => sum + (t.Spec?.Resources?.Reservations?.[k] ?? 0), 0);
    for (const k of ["NanoCPUs", "MemoryBytes"] as const) {
      const per = want[k];
      if (per) fits = Math.min(fits, Math.floor(((n.Description?.Resources?.[k] ?? 0) - used(k)) / per));
    }
    total += Math.max(0, fits);
  }
  return total;
}

/** The preferred pool's spec with the overflow pool in its place: same release, other nodes. */
export function overflowSpec(preferred: ServiceInfo, policy: BurstPolicy): ServiceInfo["Spec"] {
  const p = placementOf(preferred);
  const constraints = (p.Constraints ?? []).filter((c) => c !== swarmPool(policy.prefer));
  return {
    ...withReplicas(preferred.Spec, 0),
    Name: `${preferred.Spec.Name}-o`.slice(0, 63),
    Labels: { ...preferred.Spec.Labels, [POOL_LABEL]: "overflow" },
    TaskTemplate: {
      ...preferred.Spec.TaskTemplate,
      Placement: { ...p, Constraints: [...constraints, swarmPool(policy.overflow)] },
    },
  };
}

/** With burst, a release starts in the preferred pool; burstStep moves what does not fit there. */
export function inPreferredPool<T extends ServiceRun>(spec: T): T {
  if (!spec.burst || !spec.placement) return spec;
  const constraints = [...spec.placement.constraints, poolConstraint(spec.burst.prefer)];
  return { ...spec, placement: { ...spec.placement, constraints } };
}

/**
 * One step of burst for one release, run every few seconds: replicas Swarm cannot place in the
 * preferred pool move to the overflow service (up to the limit); when the preferred pool has
 * room again, it gets one replica more, and the plan then drains the surplus (overflow replicas
 * are listed last) and applies the release again, which shrinks the overflow service first.
 */
export async function burstStep(
  docker: Docker,
  call: <T>(p: Promise<T>) => Promise<T>,
  services: { preferred: ServiceInfo; overflow: ServiceInfo | undefined },
  policy: BurstPolicy,
): Promise<string | null> {
  const { preferred, overflow } = services;
  const [nodes, tasks] = await Promise.all([
    call(docker.listNodes()) as Promise<NodeView[]>,
    call(docker.listTasks({ filters: { "desired-state": ["running"] } })) as Promise<TaskView[]>,
  ]);
  const mine = tasks.filter((t) => t.ServiceID === preferred.ID);
  const unplaced = mine.filter((t) => !t.NodeID).length;
  const running = mine.filter((t) => t.Status?.State === "running").length;
  const spilled = overflow ? replicasOf(overflow) : 0;
  const update = (s: ServiceInfo, spec: ServiceInfo["Spec"]) => call(updateService(docker, s, spec));
  {
    if (unplaced > 0 && spilled < policy.maxOverflow) {
      const move = Math.min(unplaced, policy.maxOverflow - spilled);
      if (overflow) await update(overflow, withReplicas(overflow.Spec, spilled + move));
      else await call(docker.createService(withReplicas(overflowSpec(preferred, policy), move) as never));
      // Swarm removes the replicas it could not place first when a service shrinks.
      await update(preferred, withReplicas(preferred.Spec, replicasOf(preferred) - move));
      return `${move} replica(s) did not fit on ${policy.prefer} nodes: placed on ${policy.overflow}`;
    }
    if (
      spilled > 0 &&
      unplaced === 0 &&
      running === replicasOf(preferred) &&
      room(preferred, nodes, tasks) > 0
    ) {
      await update(preferred, withReplicas(preferred.Spec, replicasOf(preferred) + 1));
      return `${policy.prefer} nodes have room again: one replica moves back from ${policy.overflow}`;
    }
    return null;
  }
}
