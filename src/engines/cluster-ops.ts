import type { ClusterInfo, ClusterNode } from "../domain/cluster.js";
import type { Engine } from "./engine.js";

export type { ClusterInfo, ClusterNode };

/** What a cluster engine offers besides running workloads: its nodes. */
export interface ClusterOps {
  readonly cluster: string;
  /** Throws DomainError("unavailable") when the cluster cannot take a change now (no quorum). */
  assertWritable(): Promise<void>;
  info(): Promise<ClusterInfo>;
  nodes(): Promise<ClusterNode[]>;
  /** `node` is an ID or a hostname. Sets `set` and removes `remove` labels. */
  labelNode(node: string, set: Record<string, string>, remove: string[]): Promise<ClusterNode>;
  setAvailability(node: string, availability: "active" | "drain" | "pause"): Promise<ClusterNode>;
}

export type ClusterEngine = Engine & ClusterOps;
