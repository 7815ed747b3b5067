import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Docker from "dockerode";
import { DomainError } from "../domain/domain-error.js";
import { DockerEngine } from "../engines/docker/docker-engine.js";
import { RegistryPublisher } from "../engines/docker/registry-publisher.js";
import { EnginePerEnvironment } from "../engines/engine-per-environment.js";
import { managerDocker } from "../engines/swarm/manager-docker.js";
import { SwarmEngine } from "../engines/swarm/swarm-engine.js";
import { BuiltInRegistry } from "../registry/built-in-registry.js";
import type { ServerConfig } from "../server-config.js";
import type { ClusterConnections } from "../services/cluster-service.js";
import type { Store } from "../store/store.js";
import type { InternalCa } from "../tls/internal-ca.js";

export interface EnginesPart {
  /** The local dockerd: images are built and kept here. */
  local: DockerEngine;
  /** The one engine everything else sees: each environment's work goes where it runs. */
  engine: EnginePerEnvironment;
  /** How clusters are connected, for ClusterService. */
  connections: ClusterConnections;
  /** Where cluster nodes pull images from; null: no registry, so no cluster can run anything. */
  registryAddress: string | null;
}

/** The local Docker engine, the built-in registry clusters pull from, and each cluster's Swarm engine. */
export async function enginesPart(
  config: ServerConfig,
  store: Store,
  ca: InternalCa,
  log: { info(msg: string): void },
): Promise<EnginesPart> {
  const docker = new Docker();
  const instance = instanceId(config.dataDir);
  const local = new DockerEngine(docker, { instance, filesDir: join(config.dataDir, "files") });
  const engine = new EnginePerEnvironment(
    local,
    async (tenant, env) => (await store.clusters.ofEnvironment(tenant, env))?.name ?? null,
  );
  await engine.ping().catch((error: Error) => {
    throw new Error(
      `cannot reach dockerd at /var/run/docker.sock (${error.message}); start it, e.g. with scripts/setup`,
    );
  });
  const registry = config.registry
    ? new BuiltInRegistry({
        stateDir: join(config.dataDir, "registry"),
        listen: config.registry,
        certificate: async () => ({
          ...(await ca.issue(config.registry?.split(":")[0] as string)),
          caPem: ca.caCertPem(),
        }),
        dockerCertsDir: "/etc/docker/certs.d",
        log: (msg) => log.info(msg),
      })
    : null;
  await registry?.start();
  const publisher = registry ? new RegistryPublisher(docker, registry.address) : null;
  return {
    local,
    engine,
    registryAddress: registry?.address ?? null,
    connections: {
      connect: (row) => {
        if (!publisher) throw new DomainError("invalid", "clusters need the built-in registry (--registry)");
        return new SwarmEngine(managerDocker(row), row.name, {
          images: local,
          publisher,
          instance,
          pollMs: 1000,
        });
      },
      attach: (handle) => engine.attach(handle as SwarmEngine),
      detach: (name) => engine.detach(name),
      cluster: (name) => engine.cluster(name),
    },
  };
}

/** A stable id per data dir: it scopes what this server owns on a dockerd other servers may share. */
function instanceId(dataDir: string): string {
  const file = join(dataDir, "instance-id");
  try {
    return readFileSync(file, "utf8").trim();
  } catch {
    const id = randomBytes(6).toString("hex");
    writeFileSync(file, `${id}\n`, { mode: 0o644 });
    return id;
  }
}
