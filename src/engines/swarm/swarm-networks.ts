import type Docker from "dockerode";
import { DomainError } from "../../domain/domain-error.js";
import { linkNetworkName, linkOfNetwork, networkName } from "../../domain/environment.js";
import { LABEL } from "../../domain/labels.js";
import type { EnvironmentRef } from "../../domain/workload.js";
import { apiMessage, ignoreStatus, statusCode } from "../docker/status-code.js";
import type { EngineNetworks } from "../engine.js";
import { KeyedLock } from "../keyed-lock.js";
import { NETWORK_LABEL, swarmName } from "./service-spec.js";

/**
 * A cluster's overlay networks. Swarm network names are DNS name components (no dots), so each
 * carries Berth's own name in a label, and that label is what Berth reads back.
 */
export class SwarmNetworks {
  readonly #lock = new KeyedLock();
  readonly #scope: string[];

  constructor(
    private readonly docker: Docker,
    private readonly prefix: string,
    private readonly scopeLabels: Record<string, string>,
    private readonly call: <T>(p: Promise<T>) => Promise<T>,
  ) {
    this.#scope = Object.entries(scopeLabels).map(([k, v]) => `${k}=${v}`);
  }

  scoped(domainName: string): string {
    return swarmName(this.prefix, domainName);
  }

  /** Serialized per name: the managers' duplicate check races like dockerd's. */
  ensure(domainName: string, labels: Record<string, string>): Promise<void> {
    const name = this.scoped(domainName);
    return this.#lock.run(name, async () => {
      if (await this.#find(name)) return;
      await ignoreStatus(
        this.call(
          this.docker.createNetwork({
            Name: name,
            Driver: "overlay",
            Attachable: true,
            Labels: { ...labels, [NETWORK_LABEL]: domainName, ...this.scopeLabels },
            CheckDuplicate: true,
          }),
        ),
        409,
      );
    });
  }

  /** Environment and link networks made by this process, ensured once. */
  readonly #made = new Set<string>();

  async #ensureOnce(name: string, labels: Record<string, string>): Promise<void> {
    if (this.#made.has(name)) return;
    await this.ensure(name, labels);
    this.#made.add(name);
  }

  ensureEnvironment(env: EnvironmentRef): Promise<void> {
    return this.#ensureOnce(networkName(env.tenant, env.env), {
      [LABEL.tenant]: env.tenant,
      [LABEL.env]: env.env,
    });
  }

  async removeEnvironment(env: EnvironmentRef): Promise<void> {
    const name = networkName(env.tenant, env.env);
    this.#made.delete(name);
    await this.remove(name);
  }

  ensureLink(link: number): Promise<void> {
    return this.#ensureOnce(linkNetworkName(link), { [LABEL.link]: String(link) });
  }

  async removeLink(link: number): Promise<void> {
    const name = linkNetworkName(link);
    this.#made.delete(name);
    await this.remove(name);
  }

  /** The environments and links this server holds overlays for. */
  async held(): Promise<EngineNetworks> {
    const out: EngineNetworks = { environments: [], links: [] };
    for (const n of await this.list()) {
      const link = linkOfNetwork(n.name);
      const tenant = n.labels[LABEL.tenant];
      const env = n.labels[LABEL.env];
      if (link !== undefined) out.links.push(link);
      else if (tenant && env && n.name === networkName(tenant, env)) out.environments.push({ tenant, env });
    }
    return out;
  }

  async remove(domainName: string): Promise<void> {
    const name = this.scoped(domainName);
    const info = await this.#find(name);
    if (!info) return;
    if (info.Labels?.[LABEL.managed] !== "true")
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
      const left = await this.call(this.docker.listNetworks({ filters: { id: [info.Id] } }));
      if (!left.some((n) => n.Id === info.Id)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** This server's overlays by Berth's name, with their labels. */
  async list(): Promise<{ name: string; labels: Record<string, string> }[]> {
    const networks = await this.call(this.docker.listNetworks({ filters: { label: this.#scope } }));
    return networks.flatMap((n) => {
      const name = n.Labels?.[NETWORK_LABEL];
      return n.Scope === "swarm" && name ? [{ name, labels: n.Labels ?? {} }] : [];
    });
  }

  /** Engine network name or ID -> its labels, to read what a task is attached to. */
  async labelsByName(): Promise<Map<string, Record<string, string>>> {
    const networks = await this.call(this.docker.listNetworks({ filters: { label: this.#scope } }));
    const map = new Map<string, Record<string, string>>();
    for (const n of networks) {
      map.set(n.Name, n.Labels ?? {});
      map.set(n.Id, n.Labels ?? {});
    }
    return map;
  }

  /** The name filter matches substrings, so only an exact name counts. */
  async #find(name: string) {
    const found = await this.call(this.docker.listNetworks({ filters: { name: [name] } }));
    return found.find((n) => n.Name === name);
  }
}
