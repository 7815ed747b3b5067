import Docker from "dockerode";

/** Where a cluster's Swarm manager answers, as a cluster is stored. */
export interface ManagerAddress {
  /** unix:///path.sock or tcp://host:port */
  docker_host: string;
  tls_ca: string | null;
  tls_cert: string | null;
  tls_key: string | null;
}

/** dockerode options for a cluster's manager: a unix socket, or TCP with or without TLS. */
export function managerDocker(address: ManagerAddress): Docker {
  if (address.docker_host.startsWith("unix://"))
    return new Docker({ socketPath: address.docker_host.slice("unix://".length) });
  const url = new URL(address.docker_host);
  const tls = address.tls_cert !== null || address.tls_ca !== null;
  return new Docker({
    host: url.hostname,
    port: Number(url.port),
    protocol: tls ? "https" : "http",
    ...(address.tls_ca ? { ca: address.tls_ca } : {}),
    ...(address.tls_cert ? { cert: address.tls_cert } : {}),
    ...(address.tls_key ? { key: address.tls_key } : {}),
  });
}
