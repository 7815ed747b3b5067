import type Docker from "dockerode";
import { DomainError } from "../../domain/domain-error.js";
import { linkNetworkName, networkName } from "../../domain/environment.js";
import { LABEL, type WorkloadIdentity } from "../../domain/labels.js";
import type { EnvironmentRef, ReleaseSpec, WorkloadSelector } from "../../domain/workload.js";
import { ignoreStatus } from "../docker/status-code.js";
import type { KeyedLock } from "../keyed-lock.js";
import { type PrepareContext, prepareService } from "./prepare-service.js";
import { isHostNetwork, replicasOf, type ServiceInfo, withReplicas } from "./service-info.js";
import { NETWORK_LABEL, serviceName, serviceSpec } from "./service-spec.js";
import { inPreferredPool, isOverflow } from "./swarm-burst.js";
import type { SwarmNetworks } from "./swarm-networks.js";
import { removeSecrets } from "./swarm-secrets.js";
import type { SwarmVolumes } from "./swarm-volumes.js";
import type { ServiceLike, TaskLike } from "./workloads-from-tasks.js";

/** Task states after which a task's container is gone from its node. */
const ENDED_TASK = new Set(["complete", "shutdown", "failed", "rejected", "orphaned", "remove"]);
const appLock = (id: WorkloadIdentity) => `app:${id.tenant}/${id.env}/${id.app}`;

export interface SwarmReleasesContext {
  docker: Docker;
  call: <T>(p: Promise<T>) => Promise<T>;
  cluster: string;
  prefix: string;
  scope: string[];
  lock: KeyedLock;
  prepare: PrepareContext;
  networks: SwarmNetworks;
  volumes: SwarmVolumes;
  services: (selector: WorkloadSelector) => Promise<ServiceLike[]>;
  inspect: (ref: string) => Promise<ServiceInfo | undefined>;
  update: (info: ServiceInfo, spec: ServiceInfo["Spec"]) => Promise<unknown>;
  ensureEnvironment: (env: EnvironmentRef) => Promise<void>;
  ensureLink: (link: number) => Promise<void>;
}

/**
 * Releases on Swarm: one service per release (plus an overflow service with burst), sized to the
 * release's replica count, on its environment's and links' overlays.
 */
export class SwarmReleases {
  constructor(private readonly ctx: SwarmReleasesContext) {}

  async apply(spec: ReleaseSpec): Promise<void> {
    await this.ctx.lock.run(appLock(spec.identity), async () => {
      if (spec.strategy === "stop-first") await this.#stopOthers(spec.identity, spec.release);
      await this.ctx.ensureEnvironment(spec.identity);
      const links = spec.hostNetwork ? [] : spec.links;
      for (const l of links) await this.ctx.ensureLink(l.link);
      const placement = await this.ctx.volumes.placementFor(spec.identity, spec.volumes, spec.placement);
      const run = inPreferredPool({ ...spec, links, placement });
      const name = serviceName(this.ctx.prefix, spec);
      // Service changes are read-modify-write: one at a time per service, as Swarm wants them.
      await this.ctx.lock.run(name, async () => {
        const info = await this.ctx.inspect(name);
        if (!info) {
          const made = await prepareService(this.ctx.prepare, run, name, spec.replicas);
          await this.ctx.call(this.ctx.docker.createService(serviceSpec(run, made) as never));
          return;
        }
        const overflow = await this.ctx.inspect(`${name}-o`);
        const preferred = replicasOf(info);
        const spilled = overflow ? replicasOf(overflow) : 0;
        // Fewer wanted: the overflow pool gives them up first. More: the preferred pool takes
        // them (burst moves what does not fit there).
        const keep = preferred + spilled > spec.replicas ? Math.max(0, spec.replicas - preferred) : spilled;
        const wanted = { preferred: spec.replicas - keep, spilled: keep };
        const networks = await this.#networksOf(spec, links);
        for (const [service, count] of [
          [info, wanted.preferred],
          [overflow, wanted.spilled],
        ] as const) {
          if (!service) continue;
          const sameNetworks =
            hostNetworks(service) || sameAttachments(service.Spec.TaskTemplate.Networks, networks);
          if (replicasOf(service) === count && sameNetworks) continue;
          await this.ctx.update(service, {
            ...withReplicas(service.Spec, count),
            TaskTemplate: {
              ...service.Spec.TaskTemplate,
              ...(sameNetworks ? {} : { Networks: networks }),
            },
          });
        }
      });
    });
  }

  /** The networks a release's tasks should be on, by network ID (how Swarm keeps them). */
  async #networksOf(spec: ReleaseSpec, links: ReleaseSpec["links"]) {
    const ids = new Map(
      (
        (await this.ctx.call(this.ctx.docker.listNetworks({ filters: { label: this.ctx.scope } }))) as {
          Id: string;
          Labels?: Record<string, string>;
        }[]
      )
        .filter((n) => n.Labels?.[NETWORK_LABEL] !== undefined)
        .map((n) => [n.Labels?.[NETWORK_LABEL] as string, n.Id]),
    );
    const id = (domainName: string) => ids.get(domainName) ?? this.ctx.networks.scoped(domainName);
    return [
      { Target: id(networkName(spec.identity.tenant, spec.identity.env)), Aliases: [spec.identity.app] },
      ...links.map((l) => ({ Target: id(linkNetworkName(l.link)), Aliases: l.aliases })),
    ];
  }

  /**
   * stop-first: every other release of the app scaled to zero, and its tasks seen ended (their
   * containers gone from the nodes), before its services are removed and this one may start.
   */
  async #stopOthers(identity: WorkloadIdentity, keep: number): Promise<void> {
    const others = (await this.ctx.services(identity)).filter(
      (s) => s.Spec?.Labels?.[LABEL.job] === undefined && s.Spec?.Labels?.[LABEL.release] !== String(keep),
    );
    if (others.length === 0) return;
    for (const s of others) {
      const info = await this.ctx.inspect(s.ID);
      if (info && replicasOf(info) > 0) await this.ctx.update(info, withReplicas(info.Spec, 0));
    }
    const ids = others.map((s) => s.ID);
    const deadline = Date.now() + 120_000;
    for (;;) {
      const tasks = (await this.ctx.call(
        this.ctx.docker.listTasks({ filters: { service: ids } }),
      )) as TaskLike[];
      if (tasks.every((t) => ENDED_TASK.has(t.Status?.State ?? ""))) break;
      if (Date.now() > deadline)
        throw new DomainError(
          "unavailable",
          `cluster ${this.ctx.cluster}: the app's other releases did not stop within 120 s; nothing new was started`,
        );
      await new Promise((r) => setTimeout(r, 250));
    }
    for (const s of others) await this.#removeService(s);
  }

  async #removeService(s: ServiceLike): Promise<void> {
    await ignoreStatus(this.ctx.call(this.ctx.docker.getService(s.ID).remove()), 404);
    const labels = s.Spec?.Labels ?? {};
    const identity = {
      tenant: labels[LABEL.tenant] ?? "",
      env: labels[LABEL.env] ?? "",
      app: labels[LABEL.app] ?? "",
    };
    // An overflow service mounts its release's secrets, which are named after the preferred one.
    await this.ctx.call(
      removeSecrets(
        this.ctx.docker,
        serviceName(this.ctx.prefix, { identity, release: Number(labels[LABEL.release]) }),
      ),
    );
  }

  async retire(identity: WorkloadIdentity, release: number, _graceSeconds: number): Promise<void> {
    // The grace period is the service's StopGracePeriod, set when it was made.
    await this.ctx.lock.run(appLock(identity), async () => {
      const services = (await this.ctx.services(identity)).filter(
        (s) =>
          s.Spec?.Labels?.[LABEL.job] === undefined && s.Spec?.Labels?.[LABEL.release] === String(release),
      );
      // The overflow first: the preferred one's removal takes the secrets both mount.
      const ordered = services.sort((a, b) => Number(isOverflowService(b)) - Number(isOverflowService(a)));
      for (const s of ordered) await this.#removeService(s);
    });
  }
}

const isOverflowService = (s: ServiceLike) => isOverflow(s.Spec?.Labels);
const hostNetworks = (s: ServiceInfo) => isHostNetwork(s);

/** Same networks with the same aliases, in any order. */
function sameAttachments(
  current: readonly { Target: string; Aliases?: string[] }[] | undefined,
  wanted: readonly { Target: string; Aliases?: string[] }[],
): boolean {
  const print = (ns: readonly { Target: string; Aliases?: string[] }[]) =>
    ns
      .map((n) => `${n.Target}|${[...(n.Aliases ?? [])].sort().join(",")}`)
      .sort()
      .join(";");
  return print(current ?? []) === print(wanted);
}
