import type Docker from "dockerode";
import type { ClusterInfo, ClusterNode } from "../../domain/cluster.js";
import { DomainError } from "../../domain/domain-error.js";
import type { TaskLike } from "./workloads-from-tasks.js";

/** A cluster's nodes: listing them with Berth's replica counts, labels and availability. */
export class SwarmNodes {
  constructor(
    private readonly docker: Docker,
    private readonly cluster: string,
    private readonly call: <T>(p: Promise<T>) => Promise<T>,
    /** IDs of the services this Berth server owns, so only its replicas are counted. */
    private readonly ownServices: () => Promise<Set<string>>,
  ) {}

  async capacity(): Promise<{ cpus: number; memoryMb: number }> {
    const nodes = (await this.call(this.docker.listNodes())) as {
      Description?: { Resources?: { NanoCPUs?: number; MemoryBytes?: number } };
      Spec?: { Availability?: string };
      Status?: { State?: string };
    }[];
    let cpus = 1;
    let memoryMb = 0;
    // Only nodes that take tasks: a drained, paused or down node's size is no promise. With none
    // up (a cluster restarting), every node's size is still a better guess than none.
    const up = nodes.filter((x) => x.Status?.State === "ready" && x.Spec?.Availability === "active");
    for (const n of up.length > 0 ? up : nodes) {
      cpus = Math.max(cpus, (n.Description?.Resources?.NanoCPUs ?? 0) / 1e9);
      memoryMb = Math.max(memoryMb, Math.floor((n.Description?.Resources?.MemoryBytes ?? 0) / 1_048_576));
    }
    return { cpus, memoryMb };
  }

  async info(): Promise<ClusterInfo> {
    const info = (await this.call(this.docker.info())) as {
      ServerVersion?: string;
      Swarm?: { Cluster?: { ID?: string }; Managers?: number; Nodes?: number };
    };
    return {
      swarmId: info.Swarm?.Cluster?.ID ?? "",
      managers: info.Swarm?.Managers ?? 0,
      nodes: info.Swarm?.Nodes ?? 0,
      engineVersion: info.ServerVersion ?? "",
    };
  }

  async nodes(): Promise<ClusterNode[]> {
    const [nodes, tasks, services] = await Promise.all([
      this.call(this.docker.listNodes()) as Promise<SwarmNode[]>,
      this.call(this.docker.listTasks({ filters: { "desired-state": ["running"] } })) as Promise<TaskLike[]>,
      this.ownServices(),
    ]);
    const ours = services;
    return nodes
      .map((n) =>
        toClusterNode(n, tasks.filter((t) => t.NodeID === n.ID && ours.has(t.ServiceID ?? "")).length),
      )
      .sort((a, b) => a.hostname.localeCompare(b.hostname, undefined, { numeric: true }));
  }

  async node(ref: string): Promise<SwarmNode> {
    const nodes = (await this.call(this.docker.listNodes())) as SwarmNode[];
    const node = nodes.find((n) => n.ID === ref || n.Description?.Hostname === ref);
    if (!node) throw new DomainError("not_found", `cluster ${this.cluster} has no node ${ref}`, "node");
    return node;
  }

  async updateNode(
    ref: string,
    change: (spec: NonNullable<SwarmNode["Spec"]>) => NonNullable<SwarmNode["Spec"]>,
  ) {
    const node = await this.node(ref);
    const handle = this.docker.getNode(node.ID);
    await this.call(handle.update({ ...change(node.Spec ?? {}), version: node.Version?.Index }));
    const after = (await this.call(handle.inspect())) as SwarmNode;
    return toClusterNode(after, 0);
  }

  labelNode(ref: string, set: Record<string, string>, remove: string[]): Promise<ClusterNode> {
    return this.updateNode(ref, (spec) => {
      const labels = { ...(spec.Labels ?? {}), ...set };
      for (const key of remove) delete labels[key];
      return { ...spec, Labels: labels };
    });
  }

  setAvailability(ref: string, availability: "active" | "drain" | "pause"): Promise<ClusterNode> {
    return this.updateNode(ref, (spec) => ({ ...spec, Availability: availability }));
  }
}

interface SwarmNode {
  ID: string;
  Version?: { Index?: number };
  Spec?: { Labels?: Record<string, string>; Role?: string; Availability?: string };
  Description?: { Hostname?: string; Resources?: { NanoCPUs?: number; MemoryBytes?: number } };
  Status?: { State?: string; Addr?: string };
  ManagerStatus?: { Leader?: boolean };
}

function toClusterNode(n: SwarmNode, tasks: number): ClusterNode {
  return {
    id: n.ID,
    hostname: n.Description?.Hostname ?? n.ID,
    role: n.Spec?.Role === "manager" ? "manager" : "worker",
    state: n.Status?.State ?? "unknown",
    availability: n.Spec?.Availability ?? "active",
    address: n.Status?.Addr ?? "",
    leader: n.ManagerStatus?.Leader === true,
    labels: n.Spec?.Labels ?? {},
    cpus: (n.Description?.Resources?.NanoCPUs ?? 0) / 1e9,
    memoryMb: Math.floor((n.Description?.Resources?.MemoryBytes ?? 0) / 1_048_576),
    tasks,
  };
}
