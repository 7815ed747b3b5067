import type { Readable } from "node:stream";
import type Docker from "dockerode";
import { DomainError } from "../../domain/domain-error.js";
import { volumeName } from "../../domain/environment.js";
import { LABEL } from "../../domain/labels.js";
import type { ClusterEngine, ClusterInfo, ClusterNode } from "../cluster-ops.js";
import { demuxLogs } from "../docker/demux-logs.js";
import { ignoreStatus, statusCode, unreachable } from "../docker/status-code.js";
import type {
  BuildOptions,
  Engine,
  EngineCapacity,
  EngineEvent,
  ImageInfo,
  LogOptions,
  NetworkAttachment,
  Workload,
  WorkloadSelector,
  WorkloadSpec,
} from "../engine.js";
import { pollTasks } from "./poll-tasks.js";
import {
  NETWORK_LABEL,
  overlayName,
  type Prepared,
  serviceName,
  serviceSpec,
  unsupportedOnSwarm,
} from "./service-spec.js";
import { apiMessage, swarmUnavailable } from "./swarm-errors.js";
import { SwarmNodes } from "./swarm-nodes.js";
import {
  type NodeLike,
  type ServiceLike,
  scheduled,
  type TaskLike,
  workloadsFromTasks,
} from "./workloads-from-tasks.js";

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
 */
export class SwarmEngine implements ClusterEngine {
  readonly #scopeLabels: Record<string, string>;
  readonly #scope: string[];
  readonly #prefix: string;
  readonly #locks = new Map<string, Promise<unknown>>();
  readonly #options: SwarmEngineOptions;
  readonly #nodesOps: SwarmNodes;

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
    this.#nodesOps = new SwarmNodes(
      docker,
      cluster,
      (p) => this.#call(p),
      async () => new Set((await this.#services({})).map((x) => x.ID)),
    );
  }

  #scoped(domainName: string): string {
    return overlayName(this.#prefix, domainName);
  }

  /** Engine network name -> Berth's name, from the networks' labels. */
  async #networkNames(): Promise<{ unscoped(n: string): string }> {
    const networks = await this.#call(this.docker.listNetworks({ filters: { label: this.#scope } }));
    const map = new Map(networks.map((n) => [n.Name, n.Labels?.[NETWORK_LABEL] ?? n.Name]));
    return { unscoped: (n) => map.get(n) ?? n };
  }

  /** One change at a time per service: Swarm refuses updates made against a stale version. */
  #serialized<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#locks.get(key) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(work);
    this.#locks.set(key, run);
    void run
      .finally(() => {
        if (this.#locks.get(key) === run) this.#locks.delete(key);
      })
      .catch(() => undefined);
    return run;
  }

  async #call<T>(promise: Promise<T>): Promise<T> {
    try {
      return await promise;
    } catch (error) {
      throw swarmUnavailable(error, this.cluster);
    }
  }

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
      // Whatever the manager says (no leader, deadline exceeded, connection refused), no change
      // may go through it now.
      const mapped = swarmUnavailable(error, this.cluster);
      if (mapped instanceof DomainError) throw mapped;
      throw new DomainError(
        "unavailable",
        `cluster ${this.cluster} cannot accept changes now: ${apiMessage(error).replace(/\s+/g, " ")}; nothing was changed`,
      );
    } finally {
      clearTimeout(timer);
    }
  }

  async capacity(): Promise<EngineCapacity> {
    const nodes = (await this.#call(this.docker.listNodes())) as {
      Description?: { Resources?: { NanoCPUs?: number; MemoryBytes?: number } };
    }[];
    let cpus = 1;
    let memoryMb = 0;
    for (const n of nodes) {
      cpus = Math.max(cpus, (n.Description?.Resources?.NanoCPUs ?? 0) / 1e9);
      memoryMb = Math.max(memoryMb, Math.floor((n.Description?.Resources?.MemoryBytes ?? 0) / 1_048_576));
    }
    return { cpus, memoryMb };
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

  ensureNetwork(domainName: string, labels: Record<string, string>): Promise<void> {
    const name = this.#scoped(domainName);
    return this.#serialized(`network:${name}`, async () => {
      const existing = (await this.#call(this.docker.listNetworks({ filters: { name: [name] } }))).filter(
        (n) => n.Name === name,
      );
      if (existing.length > 0) return;
      await ignoreStatus(
        this.#call(
          this.docker.createNetwork({
            Name: name,
            Driver: "overlay",
            Attachable: true,
            Labels: { ...labels, [NETWORK_LABEL]: domainName, ...this.#scopeLabels },
            CheckDuplicate: true,
          }),
        ),
        409,
      );
    });
  }

  async removeNetwork(domainName: string): Promise<void> {
    const name = this.#scoped(domainName);
    const [info] = (await this.#call(this.docker.listNetworks({ filters: { name: [name] } }))).filter(
      (n) => n.Name === name,
    );
    if (!info) return;
    if (!isManaged(info.Labels))
      throw new DomainError("conflict", `refusing to touch network ${name}: Berth does not manage it`);
    try {
      await ignoreStatus(this.docker.getNetwork(info.Id).remove(), 404);
    } catch (error) {
      const status = statusCode(error);
      if (status === 403 || status === 409 || /in use|active endpoints/i.test(apiMessage(error)))
        throw new DomainError("conflict", `network ${name} still has containers`);
      throw error;
    }
    // The managers delete it a moment later; "removed" means gone from the list.
    for (let i = 0; i < 50; i++) {
      const left = await this.#call(this.docker.listNetworks({ filters: { id: [info.Id] } }));
      if (!left.some((n) => n.Id === info.Id)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async listNetworks(): Promise<string[]> {
    const networks = await this.#call(this.docker.listNetworks({ filters: { label: this.#scope } }));
    return networks
      .filter((n) => n.Scope === "swarm")
      .map((n) => n.Labels?.[NETWORK_LABEL])
      .filter((n): n is string => n !== undefined);
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

  async list(selector: WorkloadSelector): Promise<Workload[]> {
    const services = await this.#services(selector);
    if (services.length === 0) return [];
    const [tasks, nodes, names] = await Promise.all([
      this.#call(this.docker.listTasks({ filters: { "desired-state": ["running"] } })) as Promise<TaskLike[]>,
      this.#nodes(),
      this.#networkNames(),
    ]);
    return services.flatMap((s) => workloadsFromTasks(s, tasks, nodes, names, isHostNetwork(s)));
  }

  async #findService(name: string): Promise<Docker.Service | undefined> {
    const service = this.docker.getService(name);
    const info = (await ignoreStatus(this.#call(service.inspect()), 404)) as
      | (ServiceLike & { Version?: { Index?: number } })
      | undefined;
    if (!info || info.Spec?.Name !== name) return undefined;
    if (!isManaged(info.Spec?.Labels))
      throw new DomainError("conflict", `refusing to touch service ${name}: Berth does not manage it`);
    return this.docker.getService(info.ID);
  }

  async start(spec: WorkloadSpec): Promise<Workload> {
    const missing = unsupportedOnSwarm(spec);
    if (missing)
      throw new DomainError(
        "invalid",
        `a Swarm cluster cannot run ${missing}; run this app on the local engine`,
      );
    const name = serviceName(this.#prefix, spec);
    const wanted = Math.max(spec.slot + 1, spec.replicas ?? 0);
    const id = await this.#serialized(`service:${name}`, async () => {
      const existing = await this.#findService(name);
      if (existing) {
        const info = (await this.#call(existing.inspect())) as {
          ID: string;
          Version: { Index: number };
          Spec: { Mode?: { Replicated?: { Replicas?: number } } };
        };
        const replicas = info.Spec.Mode?.Replicated?.Replicas ?? 0;
        if (replicas > spec.slot)
          throw new DomainError("conflict", `replica ${spec.slot} of service ${name} is already scheduled`);
        await this.#call(
          existing.update({
            ...info.Spec,
            version: info.Version.Index,
            Mode: { Replicated: { Replicas: wanted } },
          }),
        );
        return info.ID;
      }
      const made = await this.#prepare(spec, name, wanted);
      const created = (await this.#call(this.docker.createService(serviceSpec(spec, made) as never))) as {
        id?: string;
        ID?: string;
      };
      return created.id ?? created.ID ?? name;
    });
    return scheduled(id, `${name}.${spec.slot + 1}`, spec);
  }

  async #prepare(spec: WorkloadSpec, name: string, replicas: number): Promise<Prepared> {
    const labels = {
      [LABEL.tenant]: spec.identity.tenant,
      [LABEL.env]: spec.identity.env,
      [LABEL.app]: spec.identity.app,
      [LABEL.release]: String(spec.release),
      ...(spec.hostNetwork ? { [HOST_NETWORK_LABEL]: "true" } : {}),
      ...this.#scopeLabels,
    };
    const image = await this.#options.publisher.pullable(spec.image);
    const files = [];
    for (const [i, f] of (spec.files ?? []).entries()) {
      const secretName = `${name}.f${i}`;
      files.push({
        secretName,
        path: f.path,
        secretId: await this.#secret(secretName, f.content, name, labels),
      });
    }
    return {
      name,
      image,
      labels,
      network: this.#scoped(spec.network),
      links: (spec.links ?? []).map((l) => ({ network: this.#scoped(l.network), aliases: l.aliases })),
      files,
      volumes: (spec.volumes ?? []).map((v) => ({
        source: this.#scoped(volumeName(spec.identity.tenant, spec.identity.env, v.name)),
        path: v.path,
        labels: {
          [LABEL.tenant]: spec.identity.tenant,
          [LABEL.env]: spec.identity.env,
          ...this.#scopeLabels,
        },
      })),
      replicas,
      stopSignal: this.#options.stopSignal,
      stopGraceSeconds: this.#options.stopGraceSeconds ?? 10,
    };
  }

  /** Files reach nodes as Swarm secrets: encrypted in the managers' log, mounted read-only. */
  async #secret(name: string, content: string, service: string, labels: Record<string, string>) {
    const existing = (await this.#call(this.docker.listSecrets({ filters: { name: [name] } }))) as {
      ID: string;
      Spec?: { Name?: string };
    }[];
    const hit = existing.find((s) => s.Spec?.Name === name);
    if (hit) return hit.ID;
    const made = (await this.#call(
      this.docker.createSecret({
        Name: name,
        Labels: { ...labels, "berth.service": service },
        Data: Buffer.from(content).toString("base64"),
      }),
    )) as { id?: string; ID?: string };
    return (made.id ?? made.ID) as string;
  }

  async #taskService(taskId: string, quiet: boolean): Promise<Docker.Service | undefined> {
    const task = (await ignoreStatus(this.#call(this.docker.getTask(taskId).inspect()), 404)) as
      | { ServiceID?: string }
      | undefined;
    if (!task?.ServiceID) {
      if (quiet) return undefined;
      throw new DomainError("not_found", `task ${taskId} not found`);
    }
    const service = this.docker.getService(task.ServiceID);
    const info = (await ignoreStatus(this.#call(service.inspect()), 404)) as ServiceLike | undefined;
    if (!info) {
      if (quiet) return undefined;
      throw new DomainError("not_found", `task ${taskId} not found`);
    }
    if (!isManaged(info.Spec?.Labels) || !this.#mine(info.Spec?.Labels))
      throw new DomainError("conflict", "refusing to touch a service Berth does not manage");
    return service;
  }

  #mine(labels: Record<string, string> | undefined): boolean {
    const instance = this.#scopeLabels[LABEL.instance];
    return instance === undefined || labels?.[LABEL.instance] === instance;
  }

  /**
   * One replica fewer; the last one takes the service (and its secrets) with it. Swarm picks
   * which task of the service stops, preferring ones that are not running.
   */
  async remove(id: string, _graceSeconds: number): Promise<void> {
    const service = await this.#taskService(id, true);
    if (!service) return;
    await this.#serialized(`service:${(await this.#call(service.inspect())).Spec?.Name}`, async () => {
      const info = (await ignoreStatus(this.#call(service.inspect()), 404)) as
        | {
            ID: string;
            Version: { Index: number };
            Spec: { Name: string; Mode?: { Replicated?: { Replicas?: number } } };
          }
        | undefined;
      if (!info) return;
      const replicas = (info.Spec.Mode?.Replicated?.Replicas ?? 1) - 1;
      if (replicas > 0) {
        await this.#call(
          service.update({
            ...info.Spec,
            version: info.Version.Index,
            Mode: { Replicated: { Replicas: replicas } },
          }),
        );
        return;
      }
      await ignoreStatus(this.#call(service.remove()), 404);
      await this.#removeSecrets(info.Spec.Name);
    });
  }

  async #removeSecrets(service: string): Promise<void> {
    const secrets = (await this.#call(
      this.docker.listSecrets({ filters: { label: [`berth.service=${service}`] } }),
    )) as { ID: string }[];
    // A secret stays in use until the service's last task is gone; the next removal retries it.
    for (const s of secrets)
      await ignoreStatus(this.docker.getSecret(s.ID).remove(), 404, 400, 409, 500).catch(() => {});
  }

  async connect(id: string, attachment: NetworkAttachment): Promise<void> {
    const service = await this.#taskService(id, false);
    if (!service) return;
    await this.#updateNetworks(service, (nets) =>
      nets.some((n) => n.Target === this.#scoped(attachment.network))
        ? undefined
        : [...nets, { Target: this.#scoped(attachment.network), Aliases: attachment.aliases }],
    );
  }

  async disconnect(id: string, network: string): Promise<void> {
    const service = await this.#taskService(id, true);
    if (!service) return;
    const target = this.#scoped(network);
    await this.#updateNetworks(service, (nets) =>
      nets.some((n) => n.Target === target) ? nets.filter((n) => n.Target !== target) : undefined,
    );
  }

  /** Swarm attaches networks per service: changing them replaces its tasks, one at a time. */
  async #updateNetworks(
    service: Docker.Service,
    change: (
      nets: { Target: string; Aliases?: string[] }[],
    ) => { Target: string; Aliases?: string[] }[] | undefined,
  ): Promise<void> {
    const name = (await this.#call(service.inspect())).Spec?.Name as string;
    await this.#serialized(`service:${name}`, async () => {
      const info = (await this.#call(service.inspect())) as {
        Version: { Index: number };
        Spec: { TaskTemplate: { Networks?: { Target: string; Aliases?: string[] }[] } };
      };
      // Swarm reports attached networks by ID; compare by name.
      const nets = await Promise.all(
        (info.Spec.TaskTemplate.Networks ?? []).map(async (n) => {
          const net = await ignoreStatus(this.docker.getNetwork(n.Target).inspect(), 404);
          return { ...n, Target: net?.Name ?? n.Target };
        }),
      );
      const next = change(nets);
      if (!next) return;
      await this.#call(
        service.update({
          ...info.Spec,
          version: info.Version.Index,
          TaskTemplate: { ...info.Spec.TaskTemplate, Networks: next },
        }),
      );
    });
  }

  async logs(id: string, options: LogOptions): Promise<Readable> {
    await this.#taskService(id, false);
    const task = this.docker.getTask(id) as unknown as {
      logs(opts: object): Promise<NodeJS.ReadableStream | Buffer>;
    };
    const common = { stdout: true, stderr: true, tail: options.tail, timestamps: false };
    const source = await this.#call(task.logs({ ...common, follow: options.follow }));
    return demuxLogs(this.docker.modem, source as never);
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
    return pollTasks(() => this.list({}), this.#options.pollMs ?? 1000, onEvent, onError);
  }
}

/** Swarm keeps networks by ID, so a service on the host's network says so in a label. */
const HOST_NETWORK_LABEL = "berth.host-network";
const isHostNetwork = (s: ServiceLike) => s.Spec?.Labels?.[HOST_NETWORK_LABEL] === "true";
