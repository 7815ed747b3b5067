import type { Readable } from "node:stream";
import type { BurstPolicy } from "../domain/burst.js";
import { DomainError } from "../domain/domain-error.js";
import type { WorkloadIdentity } from "../domain/labels.js";
import type { ClusterEngine } from "./cluster-ops.js";
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
} from "./engine.js";

/** Which cluster an environment runs on (null: the local engine). */
export type ClusterOf = (tenant: string, env: string) => Promise<string | null>;

/**
 * The one Engine the reconciler and services see: each call goes to the engine of the
 * environment it concerns, the local dockerd or a cluster's manager, so no caller asks which
 * kind it is. Workload IDs from a cluster carry its name (`CLUSTER/ID`); local IDs are bare.
 * Images are always built and kept on the local engine; clusters get them from the registry.
 */
export class EnginePerEnvironment implements Engine {
  readonly #clusters = new Map<string, ClusterEngine>();
  readonly #watchers = new Map<string, { close(): void }>();
  #watching: { onEvent: (e: EngineEvent) => void; onError: (e: Error) => void } | undefined;

  constructor(
    private readonly local: Engine,
    private readonly clusterOf: ClusterOf,
  ) {}

  /** Registers (or replaces) a cluster's engine; it is watched at once if watching has begun. */
  attach(engine: ClusterEngine): void {
    this.detach(engine.cluster);
    this.#clusters.set(engine.cluster, engine);
    if (this.#watching) {
      const w = this.#watching;
      this.#watchers.set(engine.cluster, engine.watch(w.onEvent, w.onError));
    }
  }

  detach(cluster: string): void {
    this.#watchers.get(cluster)?.close();
    this.#watchers.delete(cluster);
    this.#clusters.delete(cluster);
  }

  cluster(name: string): ClusterEngine {
    const engine = this.#clusters.get(name);
    if (!engine) throw new DomainError("not_found", `cluster ${name} not found`, "cluster");
    return engine;
  }

  async #for(tenant: string, env: string): Promise<{ engine: Engine; cluster: string | null }> {
    const cluster = await this.clusterOf(tenant, env);
    if (cluster === null) return { engine: this.local, cluster: null };
    const engine = this.#clusters.get(cluster);
    if (!engine)
      throw new DomainError(
        "unavailable",
        `cluster ${cluster} is not connected; see 'berth cluster info ${cluster}'`,
      );
    return { engine, cluster };
  }

  /** Refuses a change to an environment whose cluster cannot take it now (e.g. no manager quorum). */
  async assertWritable(tenant: string, env: string): Promise<void> {
    const cluster = await this.clusterOf(tenant, env);
    if (cluster === null) return;
    const engine = this.#clusters.get(cluster);
    if (!engine)
      throw new DomainError("unavailable", `cluster ${cluster} is not connected; nothing was changed`);
    await engine.assertWritable();
  }

  /** What of `features` a cluster's (null: the local) engine cannot run; unknown while it is not connected. */
  unsupportedOn(cluster: string | null, features: RunFeatures): string | undefined {
    const engine = cluster === null ? this.local : this.#clusters.get(cluster);
    return engine?.unsupported?.(features);
  }

  #split(id: string): { engine: Engine; id: string } {
    const slash = id.indexOf("/");
    if (slash < 0) return { engine: this.local, id };
    const engine = this.#clusters.get(id.slice(0, slash));
    if (!engine) throw new DomainError("unavailable", `cluster ${id.slice(0, slash)} is not connected`);
    return { engine, id: id.slice(slash + 1) };
  }

  #tag(cluster: string | null, w: Workload): Workload {
    return cluster === null ? w : { ...w, id: `${cluster}/${w.id}` };
  }

  ping(): Promise<void> {
    return this.local.ping();
  }

  capacity(): Promise<EngineCapacity> {
    return this.local.capacity();
  }

  /**
   * What one unlimited replica can use on a cluster's engine (null: the local one). Callers name
   * the cluster (read in their own transaction) rather than the environment: looking it up here
   * would read the store from outside that transaction.
   */
  capacityOn(cluster: string | null): Promise<EngineCapacity> {
    if (cluster === null) return this.local.capacity();
    const engine = this.#clusters.get(cluster);
    if (!engine)
      return Promise.reject(
        new DomainError(
          "unavailable",
          `cluster ${cluster} is not connected; see 'berth cluster info ${cluster}'`,
        ),
      );
    return engine.capacity();
  }

  inspectImage(ref: string): Promise<ImageInfo | null> {
    return this.local.inspectImage(ref);
  }

  imageAncestry(id: string): Promise<ImageInfo[]> {
    return this.local.imageAncestry(id);
  }

  removeImage(id: string): Promise<void> {
    return this.local.removeImage(id);
  }

  build(context: Readable, options: BuildOptions, onLog: (line: string) => void): Promise<ImageInfo> {
    return this.local.build(context, options, onLog);
  }

  async ensureEnvironment(env: EnvironmentRef): Promise<void> {
    await (await this.#for(env.tenant, env.env)).engine.ensureEnvironment(env);
  }

  /** On every engine: one the store no longer knows may have run on any of them. */
  async removeEnvironment(env: EnvironmentRef): Promise<void> {
    for (const e of this.#all()) await e.removeEnvironment(env);
  }

  /** A link joins two apps that may run on different engines: each gets one. */
  async ensureLink(link: number): Promise<void> {
    await Promise.all(this.#all().map((e) => e.ensureLink(link)));
  }

  async removeLink(link: number): Promise<void> {
    for (const e of this.#all()) await e.removeLink(link);
  }

  async listNetworks(): Promise<EngineNetworks> {
    const all = await Promise.all(
      this.#all().map((e) => e.listNetworks().catch((): EngineNetworks => ({ environments: [], links: [] }))),
    );
    const envs = new Map(all.flatMap((n) => n.environments).map((e) => [`${e.tenant}/${e.env}`, e]));
    return { environments: [...envs.values()], links: [...new Set(all.flatMap((n) => n.links))] };
  }

  #all(): Engine[] {
    return [this.local, ...this.#clusters.values()];
  }

  /** One call per engine, tagged; one unreachable cluster must not hide the others. */
  async #fromAll<T>(
    selector: { tenant?: string; env?: string },
    call: (e: Engine) => Promise<T[]>,
    tag: (cluster: string | null, t: T) => T,
  ): Promise<T[]> {
    if (selector.tenant !== undefined && selector.env !== undefined) {
      const { engine, cluster } = await this.#for(selector.tenant, selector.env);
      return (await call(engine)).map((t) => tag(cluster, t));
    }
    const parts = await Promise.all([
      call(this.local),
      ...[...this.#clusters].map(([name, e]) =>
        call(e).then(
          (ts) => ts.map((t) => tag(name, t)),
          () => [] as T[],
        ),
      ),
    ]);
    return parts.flat();
  }

  listWorkloads(selector: WorkloadSelector): Promise<Workload[]> {
    return this.#fromAll(
      selector,
      (e) => e.listWorkloads(selector),
      (c, w) => this.#tag(c, w),
    );
  }

  async applyRelease(spec: ReleaseSpec): Promise<void> {
    await (await this.#for(spec.identity.tenant, spec.identity.env)).engine.applyRelease(spec);
  }

  async retireRelease(identity: WorkloadIdentity, release: number, graceSeconds: number): Promise<void> {
    await (await this.#for(identity.tenant, identity.env)).engine.retireRelease(
      identity,
      release,
      graceSeconds,
    );
  }

  async removeWorkload(id: string): Promise<void> {
    const s = this.#split(id);
    if (!s.engine.removeWorkload)
      throw new DomainError("invalid", "this engine cannot remove a chosen replica; it replaces them itself");
    await s.engine.removeWorkload(s.id);
  }

  async runJob(spec: JobSpec): Promise<JobStatus> {
    const { engine, cluster } = await this.#for(spec.identity.tenant, spec.identity.env);
    return this.#tagJob(cluster, await engine.runJob(spec));
  }

  async job(id: string): Promise<JobStatus | null> {
    const s = this.#split(id);
    const j = await s.engine.job(s.id);
    return j && { ...j, id };
  }

  listJobs(selector: WorkloadSelector): Promise<JobStatus[]> {
    return this.#fromAll(
      selector,
      (e) => e.listJobs(selector),
      (c, j) => this.#tagJob(c, j),
    );
  }

  jobLogs(id: string, options: LogOptions): Promise<Readable> {
    const s = this.#split(id);
    return s.engine.jobLogs(s.id, options);
  }

  cancelJob(id: string, graceSeconds: number): Promise<void> {
    const s = this.#split(id);
    return s.engine.cancelJob(s.id, graceSeconds);
  }

  #tagJob(cluster: string | null, j: JobStatus): JobStatus {
    return cluster === null ? j : { ...j, id: `${cluster}/${j.id}` };
  }

  async createVolume(spec: VolumeSpec): Promise<VolumeInfo> {
    return (await this.#for(spec.tenant, spec.env)).engine.createVolume(spec);
  }

  listVolumes(selector: VolumeSelector): Promise<VolumeInfo[]> {
    return this.#fromAll(
      selector,
      (e) => e.listVolumes(selector),
      (_c, v) => v,
    );
  }

  async removeVolume(ref: { tenant: string; env: string; name: string }): Promise<void> {
    await (await this.#for(ref.tenant, ref.env)).engine.removeVolume(ref);
  }

  logs(id: string, options: LogOptions): Promise<Readable> {
    const s = this.#split(id);
    return s.engine.logs(s.id, options);
  }

  async rebalance(identity: WorkloadIdentity, release: number, policy: BurstPolicy): Promise<string | null> {
    const { engine } = await this.#for(identity.tenant, identity.env);
    return engine.rebalance ? engine.rebalance(identity, release, policy) : null;
  }

  watch(onEvent: (event: EngineEvent) => void, onError: (error: Error) => void): { close(): void } {
    this.#watching = { onEvent, onError };
    const local = this.local.watch(onEvent, onError);
    for (const e of this.#clusters.values()) this.#watchers.set(e.cluster, e.watch(onEvent, onError));
    return {
      close: () => {
        local.close();
        for (const w of this.#watchers.values()) w.close();
        this.#watchers.clear();
        this.#watching = undefined;
      },
    };
  }
}
