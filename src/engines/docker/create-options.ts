import type Docker from "dockerode";
import { LABEL } from "../../domain/labels.js";
import type { ContainerSpec } from "./container-spec.js";

interface Made {
  /** Engine-scoped names and labels, and the mounts already prepared. */
  name: string;
  network: string;
  mounts: NonNullable<Docker.HostConfig["Mounts"]>;
  labels: Record<string, string>;
  stopSignal: string | undefined;
}

/** The Engine API's create body for one workload: every default Berth holds to, and the exceptions a spec carries. */
export function createOptions(spec: ContainerSpec, made: Made): Docker.ContainerCreateOptions {
  const port = spec.port === null ? null : `${spec.port}/tcp`;
  // On the host network there is no environment network to join and nothing to publish.
  const hostNetwork = spec.hostNetwork === true;
  const publish = port !== null && !hostNetwork;
  return {
    name: made.name,
    Image: spec.image,
    Labels: made.labels,
    Env: Object.entries(spec.env ?? {}).map(([key, value]) => `${key}=${value}`),
    ...(spec.command ? { Cmd: spec.command } : {}),
    ...(port !== null ? { ExposedPorts: { [port]: {} } } : {}),
    ...(made.stopSignal ? { StopSignal: made.stopSignal } : {}),
    HostConfig: {
      // Loopback only: apps are reached through Berth's router, never directly from outside.
      ...(publish ? { PortBindings: { [port]: [{ HostIp: "127.0.0.1", HostPort: "" }] } } : {}),
      // Docker itself restarts crashed apps, even while Berth is down; but not one with host
      // mounts: Docker would follow a symlink planted since in a mount's source, so Berth
      // replaces it and checks the sources again (canonicalHostPath).
      RestartPolicy: { Name: spec.hostMounts?.length ? "no" : (spec.restart ?? "unless-stopped") },
      ...(spec.memoryMb ? { Memory: spec.memoryMb * 1_048_576 } : {}),
      ...(spec.cpus ? { NanoCpus: Math.round(spec.cpus * 1e9) } : {}),
      Mounts: made.mounts,
      // tini as PID 1 forwards SIGTERM and reaps zombies, so apps that were never written to be
      // PID 1 still stop promptly when drained.
      Init: true,
      NetworkMode: hostNetwork ? "host" : made.network,
      LogConfig: { Type: "json-file", Config: { "max-size": "10m", "max-file": "3" } },
      // Isolation exceptions, present only when a platform admin granted them (services check).
      ...(spec.privileged ? { Privileged: true } : {}),
      ...(spec.hostPid ? { PidMode: "host" } : {}),
      ...(spec.capAdd?.length ? { CapAdd: spec.capAdd } : {}),
      ...(spec.devices?.length
        ? {
            Devices: spec.devices.map((d) => ({
              PathOnHost: d,
              PathInContainer: d,
              CgroupPermissions: "rwm",
            })),
          }
        : {}),
    },
    // Other apps of the environment reach this one by its name, e.g. redis:6379. A job does not
    // answer to it: a hook of a service must reach the service, not itself, by that name.
    ...(hostNetwork
      ? {}
      : {
          NetworkingConfig: {
            EndpointsConfig: {
              [made.network]: { Aliases: made.labels[LABEL.job] === undefined ? [spec.identity.app] : [] },
            },
          },
        }),
  };
}
