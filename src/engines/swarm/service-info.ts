import type Docker from "dockerode";

/** The parts of an Engine API service that Berth reads; everything else is ignored. */
export interface ServiceLike {
  ID: string;
  Spec?: { Name?: string; Labels?: Record<string, string>; Mode?: { Replicated?: { Replicas?: number } } };
}
export interface ServiceNetwork {
  Target: string;
  Aliases?: string[];
}

/** What Berth reads of and writes back to a service; the rest of its spec passes through. */
export interface ServiceInfo {
  ID: string;
  Version: { Index: number };
  Spec: {
    Name: string;
    Labels?: Record<string, string>;
    Mode?: { Replicated?: { Replicas?: number } };
    TaskTemplate: { Networks?: ServiceNetwork[] } & Record<string, unknown>;
  } & Record<string, unknown>;
}

export const replicasOf = (s: ServiceInfo) => s.Spec.Mode?.Replicated?.Replicas ?? 0;

/** Writes `spec` over the version of the service that was read: Swarm refuses it if that is stale. */
export const updateService = (docker: Docker, s: ServiceInfo, spec: ServiceInfo["Spec"]) =>
  docker.getService(s.ID).update({ ...spec, version: s.Version.Index });
export const withReplicas = (spec: ServiceInfo["Spec"], replicas: number) => ({
  ...spec,
  Mode: { Replicated: { Replicas: replicas } },
});

/** Swarm keeps networks by ID, so a service on the host's network says so in a label. */
export const HOST_NETWORK_LABEL = "berth.host-network";
export const isHostNetwork = (s: ServiceLike) => s.Spec?.Labels?.[HOST_NETWORK_LABEL] === "true";
