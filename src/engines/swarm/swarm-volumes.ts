import type Docker from "dockerode";
import { DomainError } from "../../domain/domain-error.js";
import { volumeName } from "../../domain/environment.js";
import { LABEL } from "../../domain/labels.js";
import { NO_PLACEMENT, type Placement } from "../../domain/placement.js";
import type { VolumeInfo, VolumeSelector, VolumeSpec } from "../../domain/volume.js";
import { ignoreStatus } from "../docker/status-code.js";
import { swarmName } from "./service-spec.js";

interface ConfigLike {
  ID: string;
  CreatedAt?: string;
  Spec?: { Name?: string; Labels?: Record<string, string> };
}
interface NodeView {
  ID: string;
  Spec?: { Availability?: string };
  Description?: { Hostname?: string };
  Status?: { State?: string };
}

/**
 * A cluster's named volumes. A Swarm volume is a node's local volume, so each is pinned to one
 * node, and the pin is kept in the cluster itself as a Swarm config (labels: tenant, env, name,
 * node), where every manager sees it. A release or job that mounts a pinned volume gets a
 * `node.hostname==` constraint, so its data is always there. The managers cannot measure a
 * node's volume or delete its data, so sizes are unknown (null) and removal drops the pin
 * (docs/swarm.md says how to clear the data on the node).
 */
export class SwarmVolumes {
  constructor(
    private readonly docker: Docker,
    private readonly prefix: string,
    private readonly scopeLabels: Record<string, string>,
    private readonly call: <T>(p: Promise<T>) => Promise<T>,
    private readonly cluster: string,
  ) {}

  #scope(): string[] {
    return Object.entries(this.scopeLabels).map(([k, v]) => `${k}=${v}`);
  }

  async #pins(): Promise<ConfigLike[]> {
    const label = [...this.#scope(), LABEL.volume];
    return (await this.call(this.docker.listConfigs({ filters: { label } }))) as ConfigLike[];
  }

  async create(spec: VolumeSpec): Promise<VolumeInfo> {
    const existing = (await this.list(spec)).find((v) => v.name === spec.name);
    if (existing) return existing;
    const nodes = ((await this.call(this.docker.listNodes())) as NodeView[]).filter(
      (n) => n.Status?.State === "ready" && (n.Spec?.Availability ?? "active") === "active",
    );
    let node: NodeView | undefined;
    if (spec.node) {
      node = nodes.find((n) => n.Description?.Hostname === spec.node);
      if (!node)
        throw new DomainError(
          "invalid",
          `cluster ${this.cluster} has no ready, active node named ${spec.node}; see 'berth node list --cluster ${this.cluster}'`,
        );
    } else {
      // The node with the fewest volumes, so data spreads; by hostname among equals.
      const pins = await this.#pins();
      const count = (n: NodeView) => pins.filter((p) => p.Spec?.Labels?.[LABEL.node] === n.ID).length;
      node = [...nodes].sort(
        (a, b) =>
          count(a) - count(b) || (a.Description?.Hostname ?? "").localeCompare(b.Description?.Hostname ?? ""),
      )[0];
      if (!node) throw new DomainError("unavailable", `cluster ${this.cluster} has no ready, active node`);
    }
    const hostname = node.Description?.Hostname ?? node.ID;
    await ignoreStatus(
      this.call(
        this.docker.createConfig({
          Name: this.#configName(spec),
          Labels: {
            [LABEL.tenant]: spec.tenant,
            [LABEL.env]: spec.env,
            [LABEL.volume]: spec.name,
            [LABEL.node]: node.ID,
            "berth.node-hostname": hostname,
            ...this.scopeLabels,
          },
          Data: Buffer.from(JSON.stringify({ node: hostname })).toString("base64"),
        }),
      ),
      409,
    );
    const made = (await this.list(spec)).find((v) => v.name === spec.name);
    if (!made) throw new Error(`volume ${spec.name} not found after it was created`);
    return made;
  }

  #configName(v: { tenant: string; env: string; name: string }): string {
    return swarmName(this.prefix, `${volumeName(v.tenant, v.env, v.name)}.pin`);
  }

  async list(selector: VolumeSelector): Promise<VolumeInfo[]> {
    return (await this.#pins())
      .flatMap((c): VolumeInfo[] => {
        const l = c.Spec?.Labels ?? {};
        const tenant = l[LABEL.tenant];
        const env = l[LABEL.env];
        const name = l[LABEL.volume];
        if (!tenant || !env || !name) return [];
        if (selector.tenant !== undefined && selector.tenant !== tenant) return [];
        if (selector.env !== undefined && selector.env !== env) return [];
        return [
          {
            tenant,
            env,
            name,
            node: l["berth.node-hostname"] ?? null,
            sizeBytes: null,
            createdAt: c.CreatedAt ?? "",
          },
        ];
      })
      .sort((a, b) => `${a.tenant}/${a.env}/${a.name}`.localeCompare(`${b.tenant}/${b.env}/${b.name}`));
  }

  /** Refused while a service of this server mounts it: its tasks would lose their node. */
  async remove(ref: { tenant: string; env: string; name: string }): Promise<void> {
    const pin = (await this.#pins()).find((c) => c.Spec?.Name === this.#configName(ref));
    if (!pin) return;
    const source = swarmName(this.prefix, volumeName(ref.tenant, ref.env, ref.name));
    const services = (await this.call(this.docker.listServices({ filters: { label: this.#scope() } }))) as {
      Spec?: { Name?: string; TaskTemplate?: { ContainerSpec?: { Mounts?: { Source?: string }[] } } };
    }[];
    const user = services.find((s) =>
      (s.Spec?.TaskTemplate?.ContainerSpec?.Mounts ?? []).some((m) => m.Source === source),
    );
    if (user)
      throw new DomainError("conflict", `volume ${ref.name} is in use by service ${user.Spec?.Name ?? "?"}`);
    await ignoreStatus(this.call(this.docker.getConfig(pin.ID).remove()), 404);
  }

  /** The spec's placement plus the node of every pinned volume it mounts. */
  async placementFor(
    identity: { tenant: string; env: string },
    volumes: readonly { name: string }[],
    placement: Placement | undefined,
  ): Promise<Placement | undefined> {
    if (volumes.length === 0) return placement;
    const pins = await this.list(identity);
    const nodes = new Set(
      volumes.map((v) => pins.find((p) => p.name === v.name)?.node).filter((n): n is string => !!n),
    );
    if (nodes.size === 0) return placement;
    if (nodes.size > 1)
      throw new DomainError(
        "invalid",
        `its volumes live on different nodes (${[...nodes].sort().join(", ")}): one replica cannot mount them all`,
      );
    const base = placement ?? NO_PLACEMENT;
    return { ...base, constraints: [...base.constraints, `node.hostname==${[...nodes][0]}`] };
  }
}
