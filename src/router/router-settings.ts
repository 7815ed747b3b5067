/** Everything about Berth's nginx instance that is not a route. */
export interface RouterSettings {
  /** Address nginx listens on for app traffic: an IPv4 address, "localhost" or a bracketed IPv6 address. */
  listenHost: string;
  /** TCP port for app traffic. */
  port: number;
  /** Absolute directory that holds the config, pid, logs, temp dirs and the status socket. */
  stateDir: string;
  /** Increases with every applied config; served at /generation on the status socket. */
  generation: number;
}
