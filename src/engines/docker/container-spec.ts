import type { WorkloadIdentity } from "../../domain/labels.js";
import type { WorkloadState } from "../../domain/workload.js";

/**
 * One container of one release, as the Docker engine makes it: the local engine's own unit,
 * below the release-level Engine interface (see DockerEngine.applyRelease).
 */
export interface ContainerSpec {
  identity: WorkloadIdentity;
  release: number;
  /** Berth's ordinal for the replica, in its name and its berth.slot label. */
  slot: number;
  /** Image ID (sha256:...), never a mutable tag. */
  image: string;
  /** Container port; published on 127.0.0.1 with an ephemeral host port. null: none (a job). */
  port: number | null;
  /** The container's domain name; default: its release and slot's (see containerName). */
  name?: string;
  /** The tenant-environment network (ensureNetwork first), by domain name. */
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
  /** Link networks (ensureNetwork first) to join besides the environment network. */
  links?: NetworkAttachment[];
  /** Labels besides Berth's identity labels (e.g. a job's name and deadline). */
  extraLabels?: Record<string, string>;
}

/** A network a container joins, by domain name, with the names it answers to there. */
export interface NetworkAttachment {
  network: string;
  aliases: string[];
}

/** A container as dockerd reports it, identified by its berth.* labels. */
export interface Container {
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
  /** Every network it is attached to, by domain name (its environment's, and any links). */
  networks: string[];
  /** The image's own HEALTHCHECK verdict; null: the image has none. */
  health: "healthy" | "unhealthy" | "starting" | null;
  /** Its labels, for what the release level reads (a job's name and deadline). */
  labels: Record<string, string>;
  createdAt: string;
}
