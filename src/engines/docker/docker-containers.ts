import type { Readable } from "node:stream";
import type Docker from "dockerode";
import { DomainError } from "../../domain/domain-error.js";
import { volumeName } from "../../domain/environment.js";
import { containerName, LABEL, workloadLabels } from "../../domain/labels.js";
import type { WorkloadSelector } from "../../domain/workload.js";
import type { BuildOptions, EngineCapacity, EngineEvent, ImageInfo, LogOptions } from "../engine.js";
import { KeyedLock } from "../keyed-lock.js";
import { canonicalHostPath } from "./canonical-host-path.js";
import { containerFromInspect, containerFromSummary } from "./container-from-docker.js";
import type { Container, ContainerSpec, NetworkAttachment } from "./container-spec.js";
import { createOptions } from "./create-options.js";
import { demuxLogs } from "./demux-logs.js";
import { imageAncestry, inspectImage, removeImage } from "./docker-images.js";
import { DockerVolumes } from "./docker-volumes.js";
import { followBuild } from "./follow-build.js";
import { spoolContext } from "./spool-context.js";
import { apiMessage, ignoreStatus, statusCode, unreachable } from "./status-code.js";
import { watchEvents } from "./watch-events.js";
import { writeConfigFile } from "./write-config-file.js";

export interface DockerContainersOptions {
  /** Signal sent by `remove` before the grace period; the image's STOPSIGNAL when unset. */
  stopSignal?: string;
  /** Scopes everything this engine creates and sees to one Berth server (label berth.instance). */
  instance?: string;
  /** Where config files are written for read-only bind mounts; needed only by workloads with files. */
  filesDir?: string;
}

export interface ContainerState {
  status: string;
  exitCode: number | null;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
  labels: Record<string, string>;
}

const isManaged = (labels: Record<string, string> | null | undefined) => labels?.[LABEL.managed] === "true";

/**
 * The local engine's own unit: containers and networks on one dockerd, one call each. The
 * release-level DockerEngine is built on it; tests of what a container gets use it directly.
 */
export class DockerContainers {
  readonly #stopSignal: string | undefined;
  /** Label filters every listing uses, and the labels every created object carries. */
  readonly #scope: string[];
  readonly #scopeLabels: Record<string, string>;
  readonly #networkLocks = new KeyedLock();
  /** Docker object names are global on a dockerd: each server prefixes its own (berth-<instance>.). */
  readonly #prefix: string;
  readonly #filesDir: string | undefined;

  constructor(
    private readonly docker: Docker,
    options: DockerContainersOptions = {},
  ) {
    this.#stopSignal = options.stopSignal;
    this.#scopeLabels = {
      [LABEL.managed]: "true",
      ...(options.instance ? { [LABEL.instance]: options.instance } : {}),
    };
    this.#scope = Object.entries(this.#scopeLabels).map(([k, v]) => `${k}=${v}`);
    this.#prefix = options.instance ? `berth-${options.instance}.` : "berth.";
    this.#filesDir = options.filesDir;
    this.volumeStore = new DockerVolumes(
      docker,
      (n) => this.#scoped(n),
      (n) => this.#unscoped(n),
      this.#scopeLabels,
    );
  }

  /** This server's named volumes (see DockerVolumes). */
  readonly volumeStore: DockerVolumes;

  /** Engine-level name for a domain name such as berth.acme.dev (or berth.acme.dev.web.r1.0). */
  #scoped(name: string): string {
    return name.startsWith("berth.") ? this.#prefix + name.slice("berth.".length) : name;
  }

  #unscoped(name: string): string {
    return name.startsWith(this.#prefix) ? `berth.${name.slice(this.#prefix.length)}` : name;
  }

  readonly #names = { scoped: (n: string) => this.#scoped(n), unscoped: (n: string) => this.#unscoped(n) };

  async ping(): Promise<void> {
    await this.docker.ping();
  }

  async capacity(): Promise<EngineCapacity> {
    const info = (await this.docker.info()) as { MemTotal?: number; NCPU?: number };
    return { memoryMb: Math.floor((info.MemTotal ?? 0) / 1_048_576), cpus: info.NCPU ?? 1 };
  }

  inspectImage(ref: string): Promise<ImageInfo | null> {
    return inspectImage(this.docker, ref);
  }

  imageAncestry(id: string): Promise<ImageInfo[]> {
    return imageAncestry(this.docker, id);
  }

  removeImage(id: string): Promise<void> {
    return removeImage(this.docker, id);
  }

  async build(context: Readable, options: BuildOptions, onLog: (line: string) => void): Promise<ImageInfo> {
    let spooled: Awaited<ReturnType<typeof spoolContext>>;
    try {
      spooled = await spoolContext(context);
    } catch (error) {
      throw new DomainError(
        "failed",
        `build failed: cannot read the build context: ${(error as Error).message}`,
      );
    }
    try {
      await options.vet?.(spooled.dockerfile);
      const progress = await this.docker.buildImage(spooled.open(), {
        t: options.tag,
        labels: options.shared
          ? { ...options.labels, [LABEL.managed]: "true" }
          : { ...options.labels, ...this.#scopeLabels },
        rm: true,
        forcerm: true,
      } as Docker.ImageBuildOptions);
      const imageId = await followBuild(progress, onLog);
      // The ID from the stream is what this build produced; the tag may already point elsewhere.
      const image = await this.inspectImage(imageId ?? options.tag);
      if (!image) throw new DomainError("failed", `build failed: image ${options.tag} not found after build`);
      return image;
    } catch (error) {
      // Bad contexts (no Dockerfile, not a tar) are refused with an HTTP error before any progress.
      if (!(error instanceof DomainError) && statusCode(error) !== undefined) {
        throw new DomainError("failed", `build failed: ${apiMessage(error)}`);
      }
      throw error;
    } finally {
      await spooled.cleanup();
    }
  }

  /**
   * Serialized per name: dockerd's duplicate check is best effort, and two networks with one
   * name make every later container create fail as "ambiguous". Duplicates left by an older
   * version (or another process) are removed, keeping the oldest, when no container uses them.
   */
  ensureNetwork(domainName: string, labels: Record<string, string>): Promise<void> {
    const name = this.#scoped(domainName);
    return this.#networkLocks.run(name, () => this.#ensureNetwork(name, labels));
  }

  async #ensureNetwork(name: string, labels: Record<string, string>): Promise<void> {
    // The name filter matches substrings, so only an exact name counts as present.
    const existing = (await this.docker.listNetworks({ filters: { name: [name] } })).filter(
      (network) => network.Name === name,
    );
    if (existing.length > 1) {
      const [, ...extra] = existing.sort((a, b) => (a.Created ?? "").localeCompare(b.Created ?? ""));
      for (const network of extra) {
        if (isManaged(network.Labels))
          await ignoreStatus(this.docker.getNetwork(network.Id).remove(), 404, 403, 409);
      }
    }
    if (existing.length > 0) return;
    await ignoreStatus(
      this.docker.createNetwork({
        Name: name,
        Driver: "bridge",
        Labels: { ...labels, ...this.#scopeLabels },
        CheckDuplicate: true,
      }),
      409,
    );
  }

  async removeNetwork(domainName: string): Promise<void> {
    const name = this.#scoped(domainName);
    const network = this.docker.getNetwork(name);
    const info = await ignoreStatus(network.inspect(), 404);
    // Docker also resolves ID prefixes; a different network answering to `name` is not ours to remove.
    if (!info || info.Name !== name) return;
    if (!isManaged(info.Labels)) {
      throw new DomainError("conflict", `refusing to touch network ${name}: Berth does not manage it`);
    }
    try {
      await ignoreStatus(network.remove(), 404);
    } catch (error) {
      const status = statusCode(error);
      if (status === 403 || status === 409) {
        throw new DomainError("conflict", `network ${name} still has containers`);
      }
      throw error;
    }
  }

  async listNetworks(): Promise<string[]> {
    const networks = await this.docker.listNetworks({ filters: { label: this.#scope } });
    return networks.map((network) => this.#unscoped(network.Name));
  }

  async list(selector: WorkloadSelector): Promise<Container[]> {
    const label = [...this.#scope];
    if (selector.tenant !== undefined) label.push(`${LABEL.tenant}=${selector.tenant}`);
    if (selector.env !== undefined) label.push(`${LABEL.env}=${selector.env}`);
    if (selector.app !== undefined) label.push(`${LABEL.app}=${selector.app}`);
    const containers = await this.docker
      .listContainers({ all: true, filters: { label } })
      .catch((error: unknown) => {
        throw unreachable(error);
      });
    return containers
      .map((c) => containerFromSummary(c, this.#names))
      .filter((w): w is Container => w !== undefined);
  }

  async start(spec: ContainerSpec): Promise<Container> {
    const name = this.#scoped(spec.name ?? containerName(spec.identity, spec.release, spec.slot));
    const network = this.#scoped(spec.network);
    const mounts = [
      ...(spec.files ?? []).map((f) => ({
        Type: "bind" as const,
        Source: writeConfigFile(this.#filesDir, f.content),
        Target: f.path,
        ReadOnly: true,
      })),
      ...(await Promise.all(
        (spec.volumes ?? []).map(async (v) => ({
          Type: "volume" as const,
          Source: await this.ensureVolume(spec.identity, v.name),
          Target: v.path,
          ReadOnly: false,
        })),
      )),
      ...(spec.hostMounts ?? []).map((m) => ({
        Type: "bind" as const,
        Source: canonicalHostPath(m.hostPath),
        Target: m.path,
        ReadOnly: m.readOnly,
      })),
    ];
    const hostNetwork = spec.hostNetwork === true;
    let container: Docker.Container;
    try {
      container = await this.docker.createContainer(
        createOptions(spec, {
          name,
          network,
          mounts,
          labels: {
            ...spec.extraLabels,
            ...workloadLabels(spec.identity, spec.release, spec.slot),
            ...this.#scopeLabels,
          },
          stopSignal: this.#stopSignal,
        }),
      );
    } catch (error) {
      if (statusCode(error) === 409) {
        throw new DomainError("conflict", `container ${name} already exists`);
      }
      throw error;
    }
    try {
      // Docker takes one network at create; links are joined before the first start.
      if (!hostNetwork) for (const link of spec.links ?? []) await this.#connect(container.id, link);
      await container.start();
    } catch (error) {
      // A created-but-never-started container would hold the name and block the retry.
      await ignoreStatus(container.remove({ force: true }), 404, 409).catch(() => {});
      throw error;
    }
    const workload = containerFromInspect(await container.inspect(), this.#names);
    if (!workload) throw new Error(`container ${name} lost its Berth labels`);
    return workload;
  }

  /** Creates the tenant-environment's named volume if it is not there; returns its engine name. */
  ensureVolume(identity: { tenant: string; env: string }, name: string): Promise<string> {
    return this.volumeStore.ensure(identity, name);
  }

  /** How a container stands, for jobs: whether it ended, its exit code and its times. */
  async state(id: string): Promise<ContainerState | null> {
    const info = await ignoreStatus(this.docker.getContainer(id).inspect(), 404);
    if (!info || !isManaged(info.Config?.Labels)) return null;
    const s = info.State;
    const time = (t: string | undefined) => (t && !t.startsWith("0001-") ? t : null);
    return {
      status: s?.Status ?? "dead",
      exitCode: s?.Status === "exited" || s?.Status === "dead" ? (s.ExitCode ?? null) : null,
      startedAt: time(s?.StartedAt),
      finishedAt: time(s?.FinishedAt),
      error: s?.Error || null,
      labels: info.Config?.Labels ?? {},
    };
  }

  /** Every network of this server, with its labels (what it is for). */
  async networks(): Promise<{ name: string; labels: Record<string, string> }[]> {
    const networks = await this.docker.listNetworks({ filters: { label: this.#scope } });
    return networks.map((n) => ({ name: this.#unscoped(n.Name), labels: n.Labels ?? {} }));
  }

  async connect(id: string, attachment: NetworkAttachment): Promise<void> {
    await this.#managed(id);
    await this.#connect(id, attachment);
  }

  async #connect(id: string, attachment: NetworkAttachment): Promise<void> {
    const network = this.docker.getNetwork(this.#scoped(attachment.network));
    try {
      await network.connect({ Container: id, EndpointConfig: { Aliases: attachment.aliases } });
    } catch (error) {
      // 403 "already exists in network": the outcome we want.
      if (statusCode(error) === 403 && /already exists/i.test(apiMessage(error))) return;
      throw error;
    }
  }

  async disconnect(id: string, domainNetwork: string): Promise<void> {
    if (!(await this.#managed(id, true))) return;
    try {
      await ignoreStatus(
        this.docker.getNetwork(this.#scoped(domainNetwork)).disconnect({ Container: id, Force: true }),
        404,
      );
    } catch (error) {
      // Already detached (dockerd says so with a 500): the outcome we want.
      if (!/is not connected/i.test(apiMessage(error))) throw error;
    }
  }

  /** Refuses containers without Berth's label; with `quiet`, a missing one is just false. */
  async #managed(id: string, quiet = false): Promise<boolean> {
    const info = await ignoreStatus(this.docker.getContainer(id).inspect(), 404);
    if (!info) {
      if (quiet) return false;
      throw new DomainError("not_found", `container ${id} not found`);
    }
    if (!isManaged(info.Config?.Labels))
      throw new DomainError("conflict", "refusing to touch a container Berth does not manage");
    return true;
  }

  /** Stops it gracefully (SIGTERM, SIGKILL after graceSeconds) and keeps it; a no-op when gone or stopped. */
  async stop(id: string, graceSeconds: number): Promise<void> {
    if (!(await this.#managed(id, true))) return;
    await ignoreStatus(this.docker.getContainer(id).stop({ t: graceSeconds }), 304, 404);
  }

  async remove(id: string, graceSeconds: number): Promise<void> {
    if (!(await this.#managed(id, true))) return;
    const container = this.docker.getContainer(id);
    // Stopping first (not just force-removing) gives the app its graceful-shutdown window.
    await ignoreStatus(container.stop({ t: graceSeconds }), 304, 404);
    // 409: another caller's removal is already in progress, which is the outcome we want.
    await ignoreStatus(container.remove({ force: true }), 404, 409);
  }

  async logs(id: string, options: LogOptions): Promise<Readable> {
    await this.#managed(id);
    const container = this.docker.getContainer(id);
    const common = { stdout: true, stderr: true, tail: options.tail, timestamps: false };
    const source = options.follow
      ? await container.logs({ ...common, follow: true })
      : await container.logs({ ...common, follow: false });
    return demuxLogs(this.docker.modem, source);
  }

  watch(onEvent: (event: EngineEvent) => void, onError: (error: Error) => void): { close(): void } {
    return watchEvents(this.docker, this.#scope, onEvent, onError);
  }
}
