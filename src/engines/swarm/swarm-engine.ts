import type { Readable } from "node:stream";
import type Docker from "dockerode";
import type { BurstPolicy } from "../../domain/burst.js";
import { DomainError } from "../../domain/domain-error.js";
import type { WorkloadIdentity } from "../../domain/labels.js";
import { LABEL } from "../../domain/labels.js";
import type { ClusterEngine, ClusterInfo, ClusterNode } from "../cluster-ops.js";
import { demuxLogs } from "../docker/demux-logs.js";
import { ignoreStatus } from "../docker/status-code.js";
import type {
  BuildOptions,
  Engine,
  EngineCapacity,
  EngineEvent,
  EngineNetworks,
  EnvironmentRef,
  ImageInfo,
  JobSpec,
  JobStatus,
  LogOptions,
  ReleaseSpec,
  RunFeatures,
  VolumeInfo,
  VolumeSelector,
  VolumeSpec,
  Workload,
  WorkloadSelector,
} from "../engine.js";
import { KeyedLock } from "../keyed-lock.js";
import { pollTasks } from "./poll-tasks.js";
import type { PrepareContext } from "./prepare-service.js";
import { type ServiceInfo, updateService } from "./service-info.js";
import { serviceName, unsupportedOnSwarm } from "./service-spec.js";
import { nudgeService, StuckTasks } from "./stuck-tasks.js";
import { burstStep } from "./swarm-burst.js";
import { cannotChange, swarmUnavailable } from "./swarm-errors.js";
import { SwarmJobs } from "./swarm-jobs.js";
import { SwarmNetworks } from "./swarm-networks.js";
import { SwarmNodes } from "./swarm-nodes.js";
import { SwarmReleases } from "./swarm-releases.js";
import { SwarmVolumes } from "./swarm-volumes.js";
import { type NodeLike, releaseWorkloads, type ServiceLike, type TaskLike } from "./workloads-from-tasks.js";

/** Where the cluster's nodes pull a local image from (the built-in registry). */
export interface ImagePublisher {
  pullable(imageId: string): Promise<string>;
}

/** Images are built on the local engine; a cluster only runs them. */
export type ImageEngine = Pick<Engine, "inspectImage" | "imageAncestry" | "removeImage" | "build">;

export interface SwarmEngineOptions {
  images: ImageEngine;
  publisher: ImagePublisher;
  /** Scopes everything this engine creates and sees to one Berth server (label berth.instance). */
  instance?: string;
  /** How often tasks are polled: Swarm has no task events, and node loss shows only there. */
  pollMs?: number;
  stopGraceSeconds?: number;
  stopSignal?: string;
}

const isManaged = (labels: Record<string, string> | null | undefined) => labels?.[LABEL.managed] === "true";

/**
 * Runs each release of an app as one Swarm service (host-mode published, dnsrr), so Swarm
 * itself places, spreads and reschedules replicas; its tasks are the workloads the plan sees.
 * A release's replica count is the service's (plus its overflow service's, with burst).
 */
export class SwarmEngine implements ClusterEngine {
  readonly #scopeLabels: Record<string, string>;
  readonly #scope: string[];
  readonly #prefix: string;
  readonly #lock = new KeyedLock();
  readonly #networks: SwarmNetworks;
  readonly #options: SwarmEngineOptions;
  readonly #nodesOps: SwarmNodes;
  /** What every new service is prepared with; the same for the engine's whole life. */
  readonly #prepare: PrepareContext;
  readonly #volumes: SwarmVolumes;
  readonly #jobs: SwarmJobs;
  readonly #releases: SwarmReleases;

  constructor(
    private readonly docker: Docker,
    /** The cluster's name, for messages. */
    readonly cluster: string,
    options: SwarmEngineOptions,
  ) {
    this.#options = options;
    this.#scopeLabels = {
      [LABEL.managed]: "true",
      ...(options.instance ? { [LABEL.instance]: options.instance } : {}),
    };
    this.#scope = Object.entries(this.#scopeLabels).map(([k, v]) => `${k}=${v}`);
    this.#prefix = options.instance ? `berth-${options.instance}.` : "berth.";
    this.#networks = new SwarmNetworks(docker, this.#prefix, this.#scopeLabels, this.#call);
    this.#nodesOps = new SwarmNodes(docker, cluster, this.#call, async () => {
      return new Set((await this.#services({})).map((x) => x.ID));
    });
    this.#prepare = {
      docker,
      call: this.#call,
      pullable: (id) => options.publisher.pullable(id),
      networks: this.#networks,
      prefix: this.#prefix,
      scopeLabels: this.#scopeLabels,
      stopSignal: options.stopSignal,
      stopGraceSeconds: options.stopGraceSeconds ?? 10,
    };
    this.#volumes = new SwarmVolumes(docker, this.#prefix, this.#scopeLabels, this.#call, cluster);
    this.#releases = new SwarmReleases({
      docker,
      call: this.#call,
      cluster,
      prefix: this.#prefix,
      scope: this.#scope,
      lock: this.#lock,
      prepare: this.#prepare,
      networks: this.#networks,
      volumes: this.#volumes,
      services: (selector) => this.#services(selector),
      inspect: (ref) => this.#inspect(ref),
      update: (info, spec) => this.#update(info, spec),
      ensureEnvironment: (env) => this.ensureEnvironment(env),
      ensureLink: (link) => this.ensureLink(link),
    });
    this.#jobs = new SwarmJobs({
      docker,
      call: this.#call,
      prepare: this.#prepare,
      prefix: this.#prefix,
      scope: this.#scope,
      ensureEnvironment: (env) => this.ensureEnvironment(env),
      placementFor: (spec) => this.#volumes.placementFor(spec.identity, spec.volumes, undefined),
      nodeName: async (id) => (await this.#nodes()).get(id)?.Description?.Hostname ?? null,
    });
  }

  /** Engine API failures in Berth's words (no quorum, TLS, unreachable); a field, so it can be passed on. */
  readonly #call = async <T>(promise: Promise<T>): Promise<T> => {
    try {
      return await promise;
    } catch (error) {
      throw swarmUnavailable(error, this.cluster);
    }
  };

  async ping(): Promise<void> {
    const info = (await this.#call(this.docker.info())) as {
      Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean };
    };
    if (info.Swarm?.LocalNodeState !== "active" || !info.Swarm.ControlAvailable)
      throw new DomainError(
        "invalid",
        `cluster ${this.cluster}: that dockerd is not a Swarm manager (swarm state: ${info.Swarm?.LocalNodeState ?? "none"})`,
      );
  }

  /** Writes through a manager need a leader; asking for the node list proves there is one. */
  async assertWritable(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("the managers did not answer within 5 s")), 5000);
    });
    try {
      await Promise.race([this.docker.listNodes(), timeout]);
    } catch (error) {
      // Whatever the manager says (no leader, deadline exceeded, refused), no change goes through it now.
      throw cannotChange(this.cluster, error);
    } finally {
      clearTimeout(timer);
    }
  }

  /** What one unlimited replica can use: the largest node. */
  capacity(): Promise<EngineCapacity> {
    return this.#nodesOps.capacity();
  }

  inspectImage(ref: string): Promise<ImageInfo | null> {
    return this.#options.images.inspectImage(ref);
  }

  imageAncestry(id: string): Promise<ImageInfo[]> {
    return this.#options.images.imageAncestry(id);
  }

  removeImage(id: string): Promise<void> {
    return this.#options.images.removeImage(id);
  }

  build(context: Readable, options: BuildOptions, onLog: (line: string) => void): Promise<ImageInfo> {
    return this.#options.images.build(context, options, onLog);
  }

  ensureEnvironment(env: EnvironmentRef): Promise<void> {
    return this.#networks.ensureEnvironment(env);
  }

  removeEnvironment(env: EnvironmentRef): Promise<void> {
    return this.#networks.removeEnvironment(env);
  }

  ensureLink(link: number): Promise<void> {
    return this.#networks.ensureLink(link);
  }

  removeLink(link: number): Promise<void> {
    return this.#networks.removeLink(link);
  }

  listNetworks(): Promise<EngineNetworks> {
    return this.#networks.held();
  }

  async #services(selector: WorkloadSelector): Promise<ServiceLike[]> {
    const label = [...this.#scope];
    if (selector.tenant !== undefined) label.push(`${LABEL.tenant}=${selector.tenant}`);
    if (selector.env !== undefined) label.push(`${LABEL.env}=${selector.env}`);
    if (selector.app !== undefined) label.push(`${LABEL.app}=${selector.app}`);
    return (await this.#call(this.docker.listServices({ filters: { label } }))) as ServiceLike[];
  }

  async #nodes(): Promise<Map<string, NodeLike>> {
    const nodes = (await this.#call(this.docker.listNodes())) as NodeLike[];
    return new Map(nodes.map((n) => [n.ID, n]));
  }

  async listWorkloads(selector: WorkloadSelector): Promise<Workload[]> {
    const services = await this.#services(selector);
    if (services.length === 0) return [];
    const [tasks, nodes] = await Promise.all([
      this.#call(this.docker.listTasks({ filters: { "desired-state": ["running"] } })) as Promise<TaskLike[]>,
      this.#nodes(),
    ]);
    return releaseWorkloads(services, tasks, nodes);
  }

  /** One burst step for a release (see burstStep); says what it changed, or null. */
  async rebalance(identity: WorkloadIdentity, release: number, policy: BurstPolicy): Promise<string | null> {
    const name = serviceName(this.#prefix, { identity, release });
    return this.#lock.run(name, async () => {
      const preferred = await this.#inspect(name);
      if (!preferred) return null;
      return burstStep(
        this.docker,
        this.#call,
        { preferred, overflow: await this.#inspect(`${name}-o`) },
        policy,
      );
    });
  }

  /** A service by ID or name, if it is this server's; refuses one Berth does not manage. */
  async #inspect(ref: string): Promise<ServiceInfo | undefined> {
    const info = (await ignoreStatus(this.#call(this.docker.getService(ref).inspect()), 404)) as
      | ServiceInfo
      | undefined;
    // Docker also resolves ID prefixes and names; only an exact match is the one asked for.
    if (!info || (info.ID !== ref && info.Spec.Name !== ref)) return undefined;
    if (!isManaged(info.Spec.Labels) || !this.#mine(info.Spec.Labels))
      throw new DomainError(
        "conflict",
        `refusing to touch service ${info.Spec.Name}: Berth does not manage it`,
      );
    return info;
  }

  #update(info: ServiceInfo, spec: ServiceInfo["Spec"]): Promise<unknown> {
    return this.#call(updateService(this.docker, info, spec));
  }

  unsupported(features: RunFeatures): string | undefined {
    const missing = unsupportedOnSwarm(features);
    return (
      missing &&
      `cluster ${this.cluster} (Docker Swarm) cannot run ${missing}; run this app in an environment on the local engine`
    );
  }

  applyRelease(spec: ReleaseSpec): Promise<void> {
    // Releases are refused this when made; one made before it was refused still gets the reason.
    const missing = this.unsupported(spec);
    if (missing) return Promise.reject(new DomainError("invalid", missing));
    return this.#releases.apply(spec);
  }

  retireRelease(identity: WorkloadIdentity, release: number, graceSeconds: number): Promise<void> {
    return this.#releases.retire(identity, release, graceSeconds);
  }

  /** The service a task belongs to; undefined (or, unless quiet, not_found) when either is gone. */
  async #serviceOfTask(taskId: string, quiet: boolean): Promise<ServiceInfo | undefined> {
    const task = (await ignoreStatus(this.#call(this.docker.getTask(taskId).inspect()), 404)) as
      | { ServiceID?: string }
      | undefined;
    const info = task?.ServiceID ? await this.#inspect(task.ServiceID) : undefined;
    if (!info && !quiet) throw new DomainError("not_found", `task ${taskId} not found`);
    return info;
  }

  #mine(labels: Record<string, string> | undefined): boolean {
    const instance = this.#scopeLabels[LABEL.instance];
    return instance === undefined || labels?.[LABEL.instance] === instance;
  }

  async logs(id: string, options: LogOptions): Promise<Readable> {
    await this.#serviceOfTask(id, false);
    const task = this.docker.getTask(id) as unknown as {
      logs(opts: object): Promise<NodeJS.ReadableStream | Buffer>;
    };
    const common = { stdout: true, stderr: true, tail: options.tail, timestamps: false };
    const source = await this.#call(task.logs({ ...common, follow: options.follow }));
    return demuxLogs(this.docker.modem, source as never);
  }

  runJob(spec: JobSpec): Promise<JobStatus> {
    return this.#jobs.run(spec);
  }

  job(id: string): Promise<JobStatus | null> {
    return this.#jobs.status(id);
  }

  listJobs(selector: WorkloadSelector): Promise<JobStatus[]> {
    return this.#jobs.list(selector);
  }

  jobLogs(id: string, options: LogOptions): Promise<Readable> {
    return this.#jobs.logs(id, options);
  }

  cancelJob(id: string, _graceSeconds: number): Promise<void> {
    return this.#jobs.cancel(id);
  }

  createVolume(spec: VolumeSpec): Promise<VolumeInfo> {
    return this.#volumes.create(spec);
  }

  listVolumes(selector: VolumeSelector): Promise<VolumeInfo[]> {
    return this.#volumes.list(selector);
  }

  removeVolume(ref: { tenant: string; env: string; name: string }): Promise<void> {
    return this.#volumes.remove(ref);
  }

  info(): Promise<ClusterInfo> {
    return this.#nodesOps.info();
  }

  nodes(): Promise<ClusterNode[]> {
    return this.#nodesOps.nodes();
  }

  labelNode(ref: string, set: Record<string, string>, remove: string[]): Promise<ClusterNode> {
    return this.#nodesOps.labelNode(ref, set, remove);
  }

  setAvailability(ref: string, availability: "active" | "drain" | "pause"): Promise<ClusterNode> {
    return this.#nodesOps.setAvailability(ref, availability);
  }

  watch(onEvent: (event: EngineEvent) => void, onError: (error: Error) => void): { close(): void } {
    const stuck = new StuckTasks(5000);
    const list = async () => {
      const workloads = await this.listWorkloads({});
      // A nudge that fails is tried again on the next poll: the task is still stuck then.
      for (const id of stuck.update(workloads, Date.now())) await this.#nudge(id).catch(() => undefined);
      return workloads;
    };
    return pollTasks(list, this.#options.pollMs ?? 1000, onEvent, onError);
  }

  /** See nudgeService: under the service's lock, as every change to it. */
  async #nudge(taskId: string): Promise<void> {
    const service = await this.#serviceOfTask(taskId, true);
    if (!service) return;
    await this.#lock.run(service.Spec.Name, () =>
      nudgeService(this.docker, this.#call, () => this.#inspect(service.ID)),
    );
  }
}
