/** One virtual host of the router: requests for `host` go to any of `endpoints`. */
export interface Route {
  host: string;
  endpoints: Endpoint[];
}

export interface Endpoint {
  address: string;
  port: number;
}

/** The data plane as the reconciler sees it: give it every route, it makes them live. */
export interface RouteApplier {
  apply(routes: Route[]): Promise<void>;
}
