import type { Readable } from "node:stream";
import type { BurstPolicy } from "../domain/burst.js";
import type { RunFeatures } from "../domain/isolation.js";
import type { JobSpec, JobStatus } from "../domain/job.js";
import type { WorkloadIdentity } from "../domain/labels.js";
import type { VolumeInfo, VolumeSelector, VolumeSpec } from "../domain/volume.js";
import type {
  EnvironmentRef,
  LinkAttachment,
  ReleaseSpec,
  UpdateStrategy,
  Workload,
  WorkloadSelector,
  WorkloadState,
} from "../domain/workload.js";

export type {
  EnvironmentRef,
  JobSpec,
  JobStatus,
  LinkAttachment,
  ReleaseSpec,
  RunFeatures,
  UpdateStrategy,
  VolumeInfo,
  VolumeSelector,
  VolumeSpec,
  Workload,
  WorkloadSelector,
  WorkloadState,
};

/** What one unlimited container can use. */
export interface EngineCapacity {
  memoryMb: number;
  cpus: number;
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
  /**
   * Named by its content (a capability module's image): every Berth server on this engine may
   * use it, so it carries no server's label and no server's cleanup removes it.
   */
  shared?: boolean;
}

/** The environments and links an engine holds objects for (networks, namespaces). */
export interface EngineNetworks {
  environments: EnvironmentRef[];
  links: number[];
}

/**
 * What every engine (Docker, Swarm, Kubernetes) implements, at the level of releases: the plan
 * says how many replicas of which release should run and which should go; the engine owns how.
 * All methods touch only objects carrying berth.managed=true (and this server's berth.instance).
 * docs/architecture.md shows each method with how each engine implements it.
 */
export interface Engine {
  ping(): Promise<void>;
  /** What one unlimited replica can use: the host, or a cluster's largest node. */
  capacity(): Promise<EngineCapacity>;
  inspectImage(ref: string): Promise<ImageInfo | null>;
  /** The image and every image it was built on, nearest first, as far as this engine knows them. */
  imageAncestry(id: string): Promise<ImageInfo[]>;
  /** Removes a Berth-built image; a no-op when it is gone. */
  removeImage(id: string): Promise<void>;
  /** Builds from a tar stream; each log line goes to onLog as it arrives. */
  build(context: Readable, options: BuildOptions, onLog: (line: string) => void): Promise<ImageInfo>;

  /** Makes the environment's own network (or namespace); idempotent. */
  ensureEnvironment(env: EnvironmentRef): Promise<void>;
  /** Removes it; DomainError("conflict") while anything still runs in it; a no-op when absent. */
  removeEnvironment(env: EnvironmentRef): Promise<void>;
  /** Makes a link's network; idempotent. */
  ensureLink(link: number): Promise<void>;
  /** Removes it; DomainError("conflict") while a replica is still attached; a no-op when absent. */
  removeLink(link: number): Promise<void>;
  /** Every environment and link this engine holds objects for, to collect what the store no longer has. */
  listNetworks(): Promise<EngineNetworks>;

  /**
   * Converges one release to `spec.replicas` live replicas, each on its environment and
   * exactly `spec.links`: starts what is missing (replacing replicas that ended), removes the
   * highest-numbered ones beyond the count (on engines that choose), re-attaches links.
   * Idempotent: applying the same spec again changes nothing. With strategy stop-first, every
   * other release of the app is stopped and gone before a replica of this one starts.
   * Returns at once; progress shows in listWorkloads.
   */
  applyRelease(spec: ReleaseSpec): Promise<void>;
  /** Stops every replica of the release (SIGTERM, SIGKILL after graceSeconds) and removes it; no-op when gone. */
  retireRelease(identity: WorkloadIdentity, release: number, graceSeconds: number): Promise<void>;
  /**
   * Removes one chosen replica at once; the next applyRelease of its release starts its successor.
   * Engines that cannot stop a chosen replica (Swarm picks which task a scale-down stops) leave it out.
   */
  removeWorkload?(id: string): Promise<void>;
  /** Every replica of every release the selector matches, with readiness where the engine knows it. */
  listWorkloads(selector: WorkloadSelector): Promise<Workload[]>;
  /** A replica's stdout and stderr, demultiplexed, as text. */
  logs(id: string, options: LogOptions): Promise<Readable>;

  /** Starts a run-to-completion job; DomainError("conflict") when the app already has one by that name. */
  runJob(spec: JobSpec): Promise<JobStatus>;
  /** How a job stands; one past its deadline is stopped first. null: no such job. */
  job(id: string): Promise<JobStatus | null>;
  listJobs(selector: WorkloadSelector): Promise<JobStatus[]>;
  /** Its output so far (with follow: until it ends). */
  jobLogs(id: string, options: LogOptions): Promise<Readable>;
  /** Stops it if it runs (SIGTERM, SIGKILL after graceSeconds) and removes it; no-op when gone. */
  cancelJob(id: string, graceSeconds: number): Promise<void>;

  /** Creates a named volume (on a cluster: on one node, which everything mounting it then runs on); idempotent. */
  createVolume(spec: VolumeSpec): Promise<VolumeInfo>;
  listVolumes(selector: VolumeSelector): Promise<VolumeInfo[]>;
  /** Removes it and its data; DomainError("conflict") while mounted; a no-op when absent. */
  removeVolume(ref: { tenant: string; env: string; name: string }): Promise<void>;

  /**
   * One burst step for a release: moves replicas between its preferred and overflow pools.
   * Engines with one host have no pools and leave it out. Says what it changed, or null.
   */
  rebalance?(identity: WorkloadIdentity, release: number, policy: BurstPolicy): Promise<string | null>;
  /**
   * What of these an engine cannot run (e.g. "privileged mode"), so a release asking for it is
   * refused when it is made, not when its replicas start. Engines that run everything leave it out.
   */
  unsupported?(features: RunFeatures): string | undefined;
  /** Calls onEvent for lifecycle changes of Berth-managed workloads until closed. */
  watch(onEvent: (event: EngineEvent) => void, onError: (error: Error) => void): { close(): void };
}
