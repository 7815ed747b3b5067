import type { Readable } from "node:stream";
import type Docker from "dockerode";
import { DomainError } from "../../domain/domain-error.js";
import { linkNetworkName, linkOfNetwork, networkName } from "../../domain/environment.js";
import { LABEL, type WorkloadIdentity } from "../../domain/labels.js";
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
  VolumeInfo,
  VolumeSelector,
  VolumeSpec,
  Workload,
  WorkloadSelector,
} from "../engine.js";
import { KeyedLock } from "../keyed-lock.js";
import type { Container, ContainerSpec } from "./container-spec.js";
import { DockerContainers, type DockerContainersOptions } from "./docker-containers.js";
import { DockerJobs } from "./docker-jobs.js";

export interface DockerEngineOptions extends DockerContainersOptions {
  /** SIGTERM-to-SIGKILL grace for replicas a release no longer wants (scale-down, stop-first). */
  stopGraceSeconds?: number;
}

/** What the plan counts as running or about to; `removing` is neither counted nor touched. */
const LIVE = new Set(["running", "restarting", "pending"]);
const isReplica = (c: Container) => c.labels[LABEL.job] === undefined;
const byCreated = (a: Container, b: Container) => a.createdAt.localeCompare(b.createdAt);

/**
 * The local engine at the level of releases: each replica is one container named after its
 * release and slot (berth.T.E.A.rN.SLOT), on its environment's bridge network, links joined as
 * networks of their own. Berth numbers the slots itself, so a scale-down removes the highest.
 */
export class DockerEngine implements Engine {
  readonly containers: DockerContainers;
  readonly #jobs: DockerJobs;
  /** One change at a time per app: stop-first must see every other release gone before it starts. */
  readonly #lock = new KeyedLock();
  /** Networks made by this process: ensured once, forgotten when a start fails (one may have been collected). */
  readonly #networks = new Set<string>();
  readonly #grace: number;

  constructor(docker: Docker, options: DockerEngineOptions = {}) {
    this.containers = new DockerContainers(docker, options);
    this.#grace = options.stopGraceSeconds ?? 10;
    this.#jobs = new DockerJobs(this.containers, (env) => this.ensureEnvironment(env));
  }

  ping(): Promise<void> {
    return this.containers.ping();
  }

  capacity(): Promise<EngineCapacity> {
    return this.containers.capacity();
  }

  inspectImage(ref: string): Promise<ImageInfo | null> {
    return this.containers.inspectImage(ref);
  }

  imageAncestry(id: string): Promise<ImageInfo[]> {
    return this.containers.imageAncestry(id);
  }

  removeImage(id: string): Promise<void> {
    return this.containers.removeImage(id);
  }

  build(context: Readable, options: BuildOptions, onLog: (line: string) => void): Promise<ImageInfo> {
    return this.containers.build(context, options, onLog);
  }

  async #ensureNetwork(name: string, labels: Record<string, string>): Promise<void> {
    if (this.#networks.has(name)) return;
    await this.containers.ensureNetwork(name, labels);
    this.#networks.add(name);
  }

  ensureEnvironment(env: EnvironmentRef): Promise<void> {
    return this.#ensureNetwork(networkName(env.tenant, env.env), {
      [LABEL.tenant]: env.tenant,
      [LABEL.env]: env.env,
    });
  }

  async removeEnvironment(env: EnvironmentRef): Promise<void> {
    const name = networkName(env.tenant, env.env);
    this.#networks.delete(name);
    await this.containers.removeNetwork(name);
  }

  ensureLink(link: number): Promise<void> {
    return this.#ensureNetwork(linkNetworkName(link), { [LABEL.link]: String(link) });
  }

  async removeLink(link: number): Promise<void> {
    const name = linkNetworkName(link);
    this.#networks.delete(name);
    await this.containers.removeNetwork(name);
  }

  async listNetworks(): Promise<EngineNetworks> {
    const out: EngineNetworks = { environments: [], links: [] };
    for (const n of await this.containers.networks()) {
      const link = linkOfNetwork(n.name);
      const tenant = n.labels[LABEL.tenant];
      const env = n.labels[LABEL.env];
      if (link !== undefined) out.links.push(link);
      else if (tenant && env && n.name === networkName(tenant, env)) out.environments.push({ tenant, env });
    }
    return out;
  }

  async applyRelease(spec: ReleaseSpec): Promise<void> {
    const { identity } = spec;
    await this.#lock.run(appLock(identity), async () => {
      const all = (await this.containers.list(identity)).filter(isReplica);
      if (spec.strategy === "stop-first") {
        const others = all.filter((c) => c.release !== spec.release && c.state !== "removing");
        await Promise.all(others.map((c) => this.containers.remove(c.id, this.#grace)));
      }
      await this.ensureEnvironment(identity);
      const links = spec.hostNetwork ? [] : spec.links;
      for (const l of links) await this.ensureLink(l.link);
      const bySlot = new Map<number, Container>();
      for (const c of all.filter((x) => x.release === spec.release).sort(byCreated)) {
        if (c.state === "removing") continue;
        // Ended (or never started): replaced below. A duplicate slot is only possible by hand.
        if (!LIVE.has(c.state) || bySlot.has(c.slot)) await this.containers.remove(c.id, 0);
        else bySlot.set(c.slot, c);
      }
      for (const [slot, c] of bySlot) {
        // The plan took them out of the router and drained them before asking for fewer.
        if (slot >= spec.replicas) await this.containers.remove(c.id, this.#grace);
        else if (!spec.hostNetwork) await this.#relink(c, links);
      }
      for (let slot = 0; slot < spec.replicas; slot++)
        if (!bySlot.has(slot)) await this.#start(spec, slot, links);
    });
  }

  /** Joins the links it should be on and leaves the rest. */
  async #relink(c: Container, links: ReleaseSpec["links"]): Promise<void> {
    for (const l of links) {
      const network = linkNetworkName(l.link);
      if (!c.networks.includes(network)) await this.containers.connect(c.id, { network, aliases: l.aliases });
    }
    const wanted = new Set(links.map((l) => linkNetworkName(l.link)));
    for (const n of c.networks)
      if (linkOfNetwork(n) !== undefined && !wanted.has(n)) await this.containers.disconnect(c.id, n);
  }

  async #start(spec: ReleaseSpec, slot: number, links: ReleaseSpec["links"]): Promise<void> {
    const network = networkName(spec.identity.tenant, spec.identity.env);
    try {
      await this.containers.start(containerSpec(spec, slot, network, links));
    } catch (error) {
      // The name is still taken (a removal in progress): the plan's requeue looks again.
      if (error instanceof DomainError && error.code === "conflict") return;
      // A network may have been collected meanwhile; ensure them again on the retry.
      this.#networks.delete(network);
      for (const l of links) this.#networks.delete(linkNetworkName(l.link));
      throw error;
    }
  }

  async retireRelease(identity: WorkloadIdentity, release: number, graceSeconds: number): Promise<void> {
    await this.#lock.run(appLock(identity), async () => {
      const mine = (await this.containers.list(identity)).filter(
        (c) => isReplica(c) && c.release === release,
      );
      await Promise.all(mine.map((c) => this.containers.remove(c.id, graceSeconds)));
    });
  }

  removeWorkload(id: string): Promise<void> {
    return this.containers.remove(id, 0);
  }

  async listWorkloads(selector: WorkloadSelector): Promise<Workload[]> {
    // Each release's replicas by slot: a scale-down removes the highest, which come last.
    return (await this.containers.list(selector))
      .filter(isReplica)
      .sort((a, b) => a.release - b.release || a.slot - b.slot)
      .map(toWorkload);
  }

  logs(id: string, options: LogOptions): Promise<Readable> {
    return this.containers.logs(id, options);
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

  cancelJob(id: string, graceSeconds: number): Promise<void> {
    return this.#jobs.cancel(id, graceSeconds);
  }

  async createVolume(spec: VolumeSpec): Promise<VolumeInfo> {
    await this.containers.ensureVolume(spec, spec.name);
    const made = (await this.listVolumes(spec, false)).find((v) => v.name === spec.name);
    if (!made) throw new Error(`volume ${spec.name} not found after it was created`);
    return made;
  }

  async listVolumes(selector: VolumeSelector, withSizes = true): Promise<VolumeInfo[]> {
    return (await this.containers.volumeStore.list(withSizes))
      .filter(
        (v) =>
          (selector.tenant === undefined || v.tenant === selector.tenant) &&
          (selector.env === undefined || v.env === selector.env),
      )
      .map((v) => ({
        tenant: v.tenant,
        env: v.env,
        name: v.name,
        node: null,
        sizeBytes: v.sizeBytes,
        createdAt: v.createdAt,
      }))
      .sort((a, b) => `${a.tenant}/${a.env}/${a.name}`.localeCompare(`${b.tenant}/${b.env}/${b.name}`));
  }

  removeVolume(ref: { tenant: string; env: string; name: string }): Promise<void> {
    return this.containers.volumeStore.remove(ref, ref.name);
  }

  watch(onEvent: (event: EngineEvent) => void, onError: (error: Error) => void): { close(): void } {
    return this.containers.watch(onEvent, onError);
  }
}

const appLock = (id: WorkloadIdentity) => `${id.tenant}/${id.env}/${id.app}`;

function containerSpec(
  spec: ReleaseSpec,
  slot: number,
  network: string,
  links: ReleaseSpec["links"],
): ContainerSpec {
  return {
    identity: spec.identity,
    release: spec.release,
    slot,
    image: spec.image,
    port: spec.port,
    network,
    env: spec.env,
    files: spec.files,
    cpus: spec.cpus,
    memoryMb: spec.memoryMb,
    restart: spec.restart,
    command: spec.command,
    volumes: spec.volumes,
    privileged: spec.privileged,
    hostNetwork: spec.hostNetwork,
    hostPid: spec.hostPid,
    capAdd: spec.capAdd,
    devices: spec.devices,
    hostMounts: spec.hostMounts,
    links: links.map((l) => ({ network: linkNetworkName(l.link), aliases: l.aliases })),
  };
}

function toWorkload(c: Container): Workload {
  return {
    id: c.id,
    name: c.name,
    identity: c.identity,
    release: c.release,
    slot: c.slot,
    state: c.state,
    ready: c.health === null ? null : c.health === "healthy",
    hostPort: c.hostPort,
    address: c.address,
    node: null,
    detail: null,
    links: c.networks
      .map(linkOfNetwork)
      .filter((l): l is number => l !== undefined)
      .sort((a, b) => a - b),
    createdAt: c.createdAt,
  };
}
