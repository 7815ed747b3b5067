import type Docker from "dockerode";
import { DomainError } from "../../domain/domain-error.js";
import { LABEL } from "../../domain/labels.js";
import { apiMessage, ignoreStatus, statusCode } from "../docker/status-code.js";
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

  /** Engine network name -> Berth's name, from the networks' labels. */
  async names(): Promise<{ unscoped(n: string): string }> {
    const networks = await this.call(this.docker.listNetworks({ filters: { label: this.#scope } }));
    const map = new Map(networks.map((n) => [n.Name, n.Labels?.[NETWORK_LABEL] ?? n.Name]));
    return { unscoped: (n) => map.get(n) ?? n };
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

  async list(): Promise<string[]> {
    const networks = await this.call(this.docker.listNetworks({ filters: { label: this.#scope } }));
    return networks
      .filter((n) => n.Scope === "swarm")
      .map((n) => n.Labels?.[NETWORK_LABEL])
      .filter((n): n is string => n !== undefined);
  }

  /** The name filter matches substrings, so only an exact name counts. */
  async #find(name: string) {
    const found = await this.call(this.docker.listNetworks({ filters: { name: [name] } }));
    return found.find((n) => n.Name === name);
  }
}
