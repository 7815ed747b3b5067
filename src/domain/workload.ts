import type { BurstPolicy } from "./burst.js";
import type { WorkloadIdentity } from "./labels.js";
import type { Placement } from "./placement.js";

/**
 * What every engine speaks: releases with a replica count, environments and links. The plan and
 * the services use these types only; each engine maps them to its own objects (Docker
 * containers and networks, Swarm services and overlays, Kubernetes Deployments and Pods).
 */

/** A tenant-environment: the engine gives it a network (Docker, Swarm) or a namespace (Kubernetes). */
export interface EnvironmentRef {
  tenant: string;
  env: string;
}

/** A link between apps (see `berth link`): its replicas answer to `aliases` on it. */
export interface LinkAttachment {
  link: number;
  aliases: string[];
}

/**
 * rolling: new replicas start beside the old ones (zero downtime). stop-first: every other
 * release of the app is stopped and gone before this one starts, so two copies never run at
 * once (a database on its volume).
 */
export type UpdateStrategy = "rolling" | "stop-first";

/** One release of an app, to be run with `replicas` replicas. */
export interface ReleaseSpec {
  identity: WorkloadIdentity;
  release: number;
  replicas: number;
  /** Image ID (sha256:...), never a mutable tag. */
  image: string;
  /** Port the app listens on; the engine makes it reachable from this host's router. */
  port: number;
  env: Record<string, string>;
  /** Text files mounted read-only at their paths. */
  files: { path: string; content: string }[];
  /** null: no limit. */
  cpus: number | null;
  memoryMb: number | null;
  restart: "no" | "on-failure" | "always" | "unless-stopped";
  /** Overrides the image's command. */
  command: string[] | null;
  /** Named volumes of the tenant-environment (see createVolume), mounted read-write. */
  volumes: { name: string; path: string }[];
  /**
   * Isolation exceptions a platform admin granted the tenant; the services have checked them.
   * Host mount sources must be canonical paths: an engine refuses a symlink anywhere in one.
   */
  privileged?: boolean;
  hostNetwork?: boolean;
  hostPid?: boolean;
  capAdd?: string[];
  devices?: string[];
  hostMounts?: { hostPath: string; path: string; readOnly: boolean }[];
  /** Links every replica joins besides its environment (none on the host network). */
  links: LinkAttachment[];
  /** Where replicas may run; engines with one host have nowhere else to put them. */
  placement?: Placement;
  /** Hybrid-cloud burst: prefer one node pool, overflow to another (clusters only). */
  burst?: BurstPolicy | null;
  strategy?: UpdateStrategy;
}

/** `pending`: the engine has not placed or started it yet (see Workload.detail for why). */
export type WorkloadState =
  | "created"
  | "pending"
  | "running"
  | "restarting"
  | "paused"
  | "exited"
  | "dead"
  | "removing";

/** One replica of a release as the engine observes it. */
export interface Workload {
  id: string;
  name: string;
  identity: WorkloadIdentity;
  release: number;
  /**
   * The engine's own number for the replica, 0-based, for people reading `berth ps`: Berth's
   * ordinal label on Docker, Swarm's task slot, a pod's ordinal. Nothing is planned by it.
   */
  slot: number;
  state: WorkloadState;
  /**
   * Ready by the engine's own verdict (a Kubernetes readiness probe, a container healthcheck);
   * null where the engine does not judge it, and Berth's probe decides.
   */
  ready: boolean | null;
  /** Host port on 127.0.0.1 that reaches the app's port, when there is one (for people and tools). */
  hostPort: number | null;
  /** Where the router and Berth's probe reach the app, when running. */
  address: string | null;
  /** Set where the app answers on another port than its own at `address` (a cluster's published port). */
  publishedPort?: number | null;
  /** The node it runs on; null on the local engine. */
  node?: string | null;
  /** Why it is not running yet, in the engine's words (e.g. "no suitable node"). */
  detail?: string | null;
  /** The links it is attached to, by link id, ascending. */
  links: number[];
  createdAt: string;
}

export interface WorkloadSelector {
  tenant?: string;
  env?: string;
  app?: string;
}
