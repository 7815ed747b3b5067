import type { Readable } from "node:stream";
import type { BurstPolicy } from "../domain/burst.js";
import type { RunFeatures } from "../domain/isolation.js";
import type { WorkloadIdentity } from "../domain/labels.js";
import type { Placement } from "../domain/placement.js";

export type { RunFeatures };

/** What to run: one replica (slot) of one release of an app in an environment. */
export interface WorkloadSpec {
  identity: WorkloadIdentity;
  release: number;
  slot: number;
  /** Image ID (sha256:...), never a mutable tag. */
  image: string;
  /** Container port; the engine publishes it on 127.0.0.1 with an ephemeral host port. */
  port: number;
  /** The tenant-environment network, created with ensureNetwork first. */
  network: string;
  env?: Record<string, string>;
  /** Text files mounted read-only at their paths inside the container. */
  files?: { path: string; content: string }[];
  /** null: no limit. */
  cpus?: number | null;
  memoryMb?: number | null;
  restart?: "no" | "on-failure" | "always" | "unless-stopped";
  /** Overrides the image's command. */
  command?: string[] | null;
  /** Named volumes of the tenant-environment; the engine scopes the names. */
  volumes?: { name: string; path: string }[];
  /**
   * Isolation exceptions a platform admin granted the tenant; the services have checked them.
   * Host mount sources must be canonical paths: the engine refuses a symlink anywhere in one.
   */
  privileged?: boolean;
  hostNetwork?: boolean;
  hostPid?: boolean;
  capAdd?: string[];
  devices?: string[];
  hostMounts?: { hostPath: string; path: string; readOnly: boolean }[];
  /** Link networks (created with ensureNetwork first) to join besides the environment network. */
  links?: NetworkAttachment[];
  /** Where replicas may run; engines with one host have nowhere else to put them. */
  placement?: Placement;
  /** How many replicas the release wants in all: engines that run a release as one service size it so. */
  replicas?: number;
  /** Hybrid-cloud burst: prefer one node pool, overflow to another (clusters only). */
  burst?: BurstPolicy | null;
}

/** A network a workload joins, with the names it answers to there. */
export interface NetworkAttachment {
  network: string;
  aliases: string[];
}

/** `pending`: a cluster has not placed or started it yet (see Workload.detail for why). */
export type WorkloadState =
  | "created"
  | "pending"
  | "running"
  | "restarting"
  | "paused"
  | "exited"
  | "dead"
  | "removing";

/** A workload as the engine observes it, identified by its berth.* labels. */
export interface Workload {
  id: string;
  name: string;
  identity: WorkloadIdentity;
  release: number;
  slot: number;
  state: WorkloadState;
  /** Host port on 127.0.0.1 that reaches the app's port, when running (for people and tools). */
  hostPort: number | null;
  /**
   * The container's address on its environment network, when running. The router and the
   * health probe use it with the app's port directly: the published port goes through
   * docker-proxy, which costs more CPU per request than nginx itself.
   */
  address: string | null;
  /**
   * Set where the app answers on another port than its own at `address`: a cluster task published
   * on its node's address. null: the app's own port.
   */
  publishedPort?: number | null;
  /** The host it runs on (a cluster node's hostname); null on the local engine. */
  node?: string | null;
  /** Why it is not running yet, in the engine's words (e.g. "no suitable node"). */
  detail?: string | null;
  /** Every network it is attached to, by domain name (its environment's, and any links). */
  networks: string[];
  createdAt: string;
}

/** What one unlimited container can use. */
export interface EngineCapacity {
  memoryMb: number;
  cpus: number;
}

export interface WorkloadSelector {
  tenant?: string;
  env?: string;
  app?: string;
}

export interface ImageInfo {
  id: string;
  exposedPorts: number[];
  /** The tenant whose build made it (label berth.tenant); null for images Berth did not build. */
  tenant: string | null;
}

export interface EngineEvent {
  identity: WorkloadIdentity;
  action: string;
}

export interface LogOptions {
  follow: boolean;
  tail: number;
}

export interface BuildOptions {
  tag: string;
  labels: Record<string, string>;
  /** Sees the context's root Dockerfile (null: none) before the build starts; throws to refuse it. */
  vet?: (dockerfile: string | null) => Promise<void>;
}

/**
 * The narrow interface every engine (Docker now, Swarm and Kubernetes later) implements.
 * All methods touch only objects carrying berth.managed=true.
 */
export interface Engine {
  ping(): Promise<void>;
  capacity(): Promise<EngineCapacity>;
  inspectImage(ref: string): Promise<ImageInfo | null>;
  /** The image and every image it was built on, nearest first, as far as this engine knows them. */
  imageAncestry(id: string): Promise<ImageInfo[]>;
  /** Removes a Berth-built image; a no-op when it is gone. */
  removeImage(id: string): Promise<void>;
  /** Builds from a tar stream; each log line goes to onLog as it arrives. */
  build(context: Readable, options: BuildOptions, onLog: (line: string) => void): Promise<ImageInfo>;
  ensureNetwork(name: string, labels: Record<string, string>): Promise<void>;
  /** Removes a Berth-managed network; no-op when it is absent. */
  removeNetwork(name: string): Promise<void>;
  listNetworks(): Promise<string[]>;
  list(selector: WorkloadSelector): Promise<Workload[]>;
  /** Creates and starts; fails with DomainError("conflict") when the name is taken. */
  start(spec: WorkloadSpec): Promise<Workload>;
  /** Attaches a running workload to a network (idempotent), answering to `aliases` there. */
  connect(id: string, attachment: NetworkAttachment): Promise<void>;
  /** Detaches it; a no-op when it is not attached or gone. */
  disconnect(id: string, network: string): Promise<void>;
  /** Stops gracefully (SIGTERM, then SIGKILL after graceSeconds) and removes; no-op when gone. */
  remove(id: string, graceSeconds: number): Promise<void>;
  /** Demultiplexed stdout+stderr as text. */
  logs(id: string, options: LogOptions): Promise<Readable>;
  /**
   * One burst step for a release: moves replicas between its preferred and overflow pools.
   * Engines with one host have no pools and leave it out. Says what it changed, or null.
   */
  rebalance?(identity: WorkloadIdentity, release: number, policy: BurstPolicy): Promise<string | null>;
  /**
   * What of these an engine cannot run (e.g. "privileged mode"), so a release asking for it is
   * refused when it is made, not when its containers start. Engines that run everything leave it out.
   */
  unsupported?(features: RunFeatures): string | undefined;
  /** Calls onEvent for lifecycle changes of Berth-managed workloads until closed. */
  watch(onEvent: (event: EngineEvent) => void, onError: (error: Error) => void): { close(): void };
}
