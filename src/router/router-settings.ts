/** Everything about Berth's nginx instance that is not a route. */
export interface RouterSettings {
  /** Addresses nginx listens on: IPv4 addresses, "localhost" or bracketed IPv6 addresses. */
  listenHosts: string[];
  /** TCP port for plain HTTP. */
  port: number;
  /** TCP port for HTTPS, used by sites with a certificate. */
  httpsPort: number;
  /** Absolute directory that holds the config, pid, logs, temp dirs and the status socket. */
  stateDir: string;
  /** Increases with every applied config; served at /generation on the status socket. */
  generation: number;
  /** Peers whose X-Forwarded-For is believed; everyone else is known by the TCP peer address. */
  trustedProxies: string[];
}
