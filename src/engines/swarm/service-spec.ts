import { createHash } from "node:crypto";
import { DomainError } from "../../domain/domain-error.js";
import { volumeName } from "../../domain/environment.js";
import { LABEL } from "../../domain/labels.js";
import { type Placement, parseConstraint } from "../../domain/placement.js";
import type { ReleaseSpec, RunFeatures } from "../engine.js";
import { HOST_NETWORK_LABEL } from "./service-info.js";

/**
 * Swarm service names are DNS labels (63 characters at most): a readable head, the release, and
 * a hash of the full scoped name, which keeps them unique. Labels carry the exact identity.
 */
/** What a service runs: a release's replicas, or a job (no port, one task, run once). */
export type ServiceRun = Omit<ReleaseSpec, "port"> & { port: number | null };

export function serviceName(prefix: string, spec: Pick<ReleaseSpec, "identity" | "release">): string {
  const { tenant, env, app } = spec.identity;
  const full = `${prefix}${tenant}.${env}.${app}.r${spec.release}`;
  const hash = createHash("sha256").update(full).digest("hex").slice(0, 8);
  const head = `berth-${app}-${env}-${tenant}`.slice(0, 38).replace(/-+$/, "");
  return `${head}-r${spec.release}-${hash}`;
}

/**
 * Swarm network (and volume) names made from Berth's: DNS name components, no dots, at most
 * 63 characters, unique by a hash; labels keep Berth's own name.
 */
export function swarmName(prefix: string, domainName: string): string {
  const hash = createHash("sha256")
    .update(prefix + domainName)
    .digest("hex")
    .slice(0, 8);
  const head = domainName
    .replace(/[^a-z0-9-]+/g, "-")
    .slice(0, 50)
    .replace(/-+$/, "");
  return `${head}-${hash}`;
}
export const NETWORK_LABEL = "berth.network";

/** Berth's placement in Swarm's terms: node-label constraints, spread preferences, MaxReplicas. */
export function swarmPlacement(p: Placement | undefined): {
  Constraints?: string[];
  Preferences?: { Spread: { SpreadDescriptor: string } }[];
  MaxReplicas?: number;
} {
  if (!p) return {};
  const constraints = p.constraints.map((text) => {
    const c = parseConstraint(text);
    return `${c.label ? `node.labels.${c.subject}` : c.subject}${c.equal ? "==" : "!="}${c.value}`;
  });
  return {
    ...(constraints.length ? { Constraints: constraints } : {}),
    ...(p.spread ? { Preferences: [{ Spread: { SpreadDescriptor: `node.labels.${p.spread}` } }] } : {}),
    ...(p.maxPerNode ? { MaxReplicas: p.maxPerNode } : {}),
  };
}

const RESTART = { no: "none", "on-failure": "on-failure", always: "any", "unless-stopped": "any" } as const;

export interface Prepared {
  name: string;
  /** A pullable reference (registry/repository@digest): nodes cannot see the local engine's images. */
  image: string;
  labels: Record<string, string>;
  /** Engine-scoped overlay names: the environment's network first, then links. */
  network: string;
  links: { network: string; aliases: string[] }[];
  /** Swarm secrets made for the release's files (one per file), with their targets. */
  files: { secretId: string; secretName: string; path: string }[];
  volumes: { source: string; path: string; labels: Record<string, string> }[];
  replicas: number;
  stopSignal: string | undefined;
  stopGraceSeconds: number;
}

/** What a Swarm service cannot do that a container can: refused, not silently dropped. */
export function unsupportedOnSwarm(spec: RunFeatures): string | undefined {
  if (spec.privileged) return "privileged mode";
  if (spec.hostPid) return "the host's PID namespace";
  if (spec.devices?.length) return "host devices";
  // A node's paths cannot be checked for symlinks from here, as the local engine checks them.
  if (spec.hostMounts?.length) return "host mounts";
  return undefined;
}

/** The Engine API body for `POST /services/create`: one service runs every replica of a release. */
export function serviceSpec(spec: ServiceRun, made: Prepared): Record<string, unknown> {
  const missing = unsupportedOnSwarm(spec);
  if (missing)
    throw new DomainError(
      "invalid",
      `a Swarm cluster cannot run ${missing}; run this app on the local engine`,
    );
  const hostNetwork = spec.hostNetwork === true;
  const p = spec.placement;
  const limits = {
    ...(spec.cpus ? { NanoCPUs: Math.round(spec.cpus * 1e9) } : {}),
    ...(spec.memoryMb ? { MemoryBytes: spec.memoryMb * 1_048_576 } : {}),
  };
  const reservations = {
    ...(p?.reserveCpus ? { NanoCPUs: Math.round(p.reserveCpus * 1e9) } : {}),
    ...(p?.reserveMemoryMb ? { MemoryBytes: p.reserveMemoryMb * 1_048_576 } : {}),
  };
  return {
    Name: made.name,
    Labels: made.labels,
    TaskTemplate: {
      ContainerSpec: {
        Image: made.image,
        Labels: made.labels,
        Env: Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`),
        ...(spec.command ? { Args: spec.command } : {}),
        Init: true,
        ...(made.stopSignal ? { StopSignal: made.stopSignal } : {}),
        StopGracePeriod: made.stopGraceSeconds * 1e9,
        ...(spec.capAdd?.length ? { CapabilityAdd: spec.capAdd.map((c) => `CAP_${c}`) } : {}),
        Secrets: made.files.map((f) => ({
          SecretID: f.secretId,
          SecretName: f.secretName,
          File: { Name: f.path, UID: "0", GID: "0", Mode: 0o444 },
        })),
        Mounts: made.volumes.map((v) => ({
          Type: "volume",
          Source: v.source,
          Target: v.path,
          VolumeOptions: { Labels: v.labels },
        })),
      },
      Resources: { Limits: limits, Reservations: reservations },
      RestartPolicy: { Condition: RESTART[spec.restart], Delay: 1e9 },
      Placement: swarmPlacement(p),
      Networks: hostNetwork
        ? [{ Target: "host" }]
        : [
            // Other apps of the environment reach this one by its name, as on the local engine.
            // A job does not answer to the app's name: its hook must reach the app, not itself.
            {
              Target: made.network,
              Aliases: made.labels[LABEL.job] === undefined ? [spec.identity.app] : [],
            },
            ...made.links.map((l) => ({ Target: l.network, Aliases: l.aliases })),
          ],
      LogDriver: { Name: "json-file", Options: { "max-size": "10m", "max-file": "3" } },
    },
    Mode: { Replicated: { Replicas: made.replicas } },
    // Host-mode publishing on an ephemeral port of each task's node: the router reaches every
    // task directly, which works with or without IPVS (the routing mesh needs it).
    EndpointSpec:
      hostNetwork || spec.port === null
        ? { Mode: "dnsrr" }
        : { Mode: "dnsrr", Ports: [{ Protocol: "tcp", TargetPort: spec.port, PublishMode: "host" }] },
  };
}

/** Labels on a release's service and its tasks: what Berth reads back to know them. */
export function serviceLabels(spec: ServiceRun, scope: Record<string, string>): Record<string, string> {
  return {
    [LABEL.tenant]: spec.identity.tenant,
    [LABEL.env]: spec.identity.env,
    [LABEL.app]: spec.identity.app,
    [LABEL.release]: String(spec.release),
    ...(spec.hostNetwork ? { [HOST_NETWORK_LABEL]: "true" } : {}),
    ...scope,
  };
}

/** Named volumes of the tenant-environment; each node keeps its own copy (docs/swarm.md). */
export function volumeMounts(
  spec: ServiceRun,
  prefix: string,
  scope: Record<string, string>,
): Prepared["volumes"] {
  return (spec.volumes ?? []).map((v) => ({
    source: swarmName(prefix, volumeName(spec.identity.tenant, spec.identity.env, v.name)),
    path: v.path,
    labels: {
      [LABEL.tenant]: spec.identity.tenant,
      [LABEL.env]: spec.identity.env,
      [LABEL.volume]: v.name,
      ...scope,
    },
  }));
}
