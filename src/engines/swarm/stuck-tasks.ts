import type Docker from "dockerode";
import type { Workload } from "../engine.js";
import { replicasOf, type ServiceInfo, updateService, withReplicas } from "./service-info.js";
import { room } from "./swarm-burst.js";

/**
 * Swarm can leave a task pending ("no suitable node") after nodes that fit it are back, when its
 * service was updated while it waited (moby/moby#53722, #32999): its scheduler stops retrying it.
 * This remembers since when each task has waited for a node, so the engine can nudge the ones
 * that waited longer than Swarm's own retries would take. A task named is named again only after
 * another grace period: one that truly has no node to go to costs a check every period, not
 * every poll.
 */
export class StuckTasks {
  #since = new Map<string, number>();

  constructor(private readonly graceMs: number) {}

  /** The tasks of `workloads` that have waited for a node for at least the grace period. */
  update(workloads: readonly Workload[], now: number): string[] {
    const next = new Map<string, number>();
    const due: string[] = [];
    for (const w of workloads) {
      if (w.state !== "pending" || !/no suitable node/.test(w.detail ?? "")) continue;
      const since = this.#since.get(w.id) ?? now;
      const isDue = now - since >= this.graceMs;
      if (isDue) due.push(w.id);
      next.set(w.id, isDue ? now : since);
    }
    this.#since = next;
    return due;
  }
}

/**
 * A service with a task stuck waiting for a node although one fits now: one replica fewer (Swarm
 * drops an unplaced task first) and one more again makes a new task, which Swarm places. Running
 * replicas are not touched; with no room anywhere it changes nothing.
 */
export async function nudgeService(
  docker: Docker,
  call: <T>(p: Promise<T>) => Promise<T>,
  inspect: () => Promise<ServiceInfo | undefined>,
): Promise<void> {
  const [nodes, tasks] = await Promise.all([
    call(docker.listNodes()),
    call(docker.listTasks({ filters: { "desired-state": ["running"] } })),
  ]);
  const now = await inspect();
  if (!now || room(now, nodes as never, tasks as never) <= 0) return;
  const update = (s: ServiceInfo, replicas: number) =>
    call(updateService(docker, s, withReplicas(s.Spec, replicas)));
  await update(now, replicasOf(now) - 1);
  const after = await inspect();
  if (after) await update(after, replicasOf(after) + 1);
}
