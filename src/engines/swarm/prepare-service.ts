import type Docker from "dockerode";
import { linkNetworkName, networkName } from "../../domain/environment.js";
import { type Prepared, type ServiceRun, serviceLabels, volumeMounts } from "./service-spec.js";
import type { SwarmNetworks } from "./swarm-networks.js";
import { ensureSecret, SERVICE_LABEL } from "./swarm-secrets.js";

export interface PrepareContext {
  docker: Docker;
  call: <T>(p: Promise<T>) => Promise<T>;
  /** A pullable reference for a local image (the built-in registry). */
  pullable: (imageId: string) => Promise<string>;
  networks: SwarmNetworks;
  prefix: string;
  scopeLabels: Record<string, string>;
  stopSignal: string | undefined;
  stopGraceSeconds: number;
}

/** Everything a release's service needs before it can be created: its image, secrets and names. */
export async function prepareService(
  ctx: PrepareContext,
  spec: ServiceRun,
  name: string,
  replicas: number,
): Promise<Prepared> {
  const labels = serviceLabels(spec, ctx.scopeLabels);
  const image = await ctx.pullable(spec.image);
  const files = [];
  for (const [i, f] of spec.files.entries()) {
    const secretName = `${name}.f${i}`;
    files.push({
      secretName,
      path: f.path,
      secretId: await ctx.call(
        ensureSecret(ctx.docker, secretName, f.content, { ...labels, [SERVICE_LABEL]: name }),
      ),
    });
  }
  return {
    name,
    image,
    labels,
    network: ctx.networks.scoped(networkName(spec.identity.tenant, spec.identity.env)),
    links: spec.links.map((l) => ({
      network: ctx.networks.scoped(linkNetworkName(l.link)),
      aliases: l.aliases,
    })),
    files,
    volumes: volumeMounts(spec, ctx.prefix, ctx.scopeLabels),
    replicas,
    stopSignal: ctx.stopSignal,
    stopGraceSeconds: ctx.stopGraceSeconds,
  };
}
