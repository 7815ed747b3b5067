import type { TrafficRules } from "../domain/traffic-rules.js";

/** Where a container of an app answers. */
export interface Endpoint {
  address: string;
  port: number;
}

/** The healthy containers of one release. */
export interface Pool {
  release: number;
  endpoints: Endpoint[];
}

/** A second release that gets the requests `rules` pick; `seed` re-rolls weight stickiness per canary. */
export interface CanaryPolicy {
  pool: Pool;
  rules: TrafficRules;
  seed: string;
}

/** One app in one environment as the router sees it; `id` is "tenant/env/app". */
export interface Backend {
  id: string;
  stable: Pool | null;
  canary: CanaryPolicy | null;
}

export interface SiteLocation {
  /** "/" or a prefix such as "/api" (which serves /api and /api/...). */
  path: string;
  backend: string;
  /** Plain HTTP requests get a 308 to HTTPS instead of the app. */
  redirectHttps: boolean;
}

export interface SiteTls {
  certPem: string;
  keyPem: string;
}

/** One virtual host: its paths, each leading to a backend, and optionally a certificate. */
export interface Site {
  host: string;
  tls: SiteTls | null;
  locations: SiteLocation[];
}

/** Everything the router serves; rendered whole on every change. */
export interface RouterTable {
  backends: Backend[];
  sites: Site[];
}

/** The data plane as the reconciler sees it: give it the whole table, it makes it live. */
export interface RouteApplier {
  apply(table: RouterTable): Promise<void>;
}

export const emptyRouterTable = (): RouterTable => ({ backends: [], sites: [] });
