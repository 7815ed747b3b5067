import type { Endpoint, Route } from "./route.js";
import type { RouterSettings } from "./router-settings.js";

/**
 * Allow-lists for every value that reaches nginx.conf. A value that fails is never rendered:
 * the error names it (JSON-quoted, so control characters show) and the whole render is refused.
 */
const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const BRACKETED_IPV6 = /^\[[0-9a-f:]{2,39}\]$/;
const STATE_DIR = /^\/[A-Za-z0-9._/-]+$/;
/** sun_path is 108 bytes including the NUL; nginx refuses longer unix socket paths. */
const MAX_SOCKET_PATH = 107;

const show = (value: unknown) => JSON.stringify(value) ?? String(value);

function fail(what: string, value: unknown): never {
  throw new Error(`router: refusing to render invalid ${what} ${show(value)}`);
}

export function assertPort(what: string, port: unknown): void {
  if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) fail(what, port);
}

export function validateRouterSettings(settings: RouterSettings): void {
  const { listenHost, port, stateDir, generation } = settings;
  const hostOk =
    typeof listenHost === "string" &&
    (IPV4.test(listenHost) || listenHost === "localhost" || BRACKETED_IPV6.test(listenHost));
  if (!hostOk) fail("listen host", listenHost);
  assertPort("listen port", port);
  if (typeof stateDir !== "string" || !STATE_DIR.test(stateDir) || stateDir.split("/").includes("..")) {
    fail("state directory", stateDir);
  }
  if (`${stateDir}/status.sock`.length > MAX_SOCKET_PATH)
    fail("state directory (too long for a socket)", stateDir);
  if (typeof generation !== "number" || !Number.isSafeInteger(generation) || generation < 0) {
    fail("generation", generation);
  }
}

function validateEndpoint(host: string, endpoint: Endpoint): void {
  if (typeof endpoint?.address !== "string" || !IPV4.test(endpoint.address)) {
    fail(`endpoint address for ${host}`, endpoint?.address);
  }
  assertPort(`endpoint port for ${host}`, endpoint.port);
}

const compareEndpoints = (a: Endpoint, b: Endpoint): number => {
  const octets = (e: Endpoint) => e.address.split(".").map(Number);
  const [x, y] = [octets(a), octets(b)];
  for (let i = 0; i < 4; i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return a.port - b.port;
};

/**
 * Validates every route and returns copies sorted by host, with endpoints sorted and de-duplicated.
 * Two routes for one host are refused: nginx would silently ignore the second.
 */
export function validateRoutes(routes: readonly Route[]): Route[] {
  const seen = new Set<string>();
  const out: Route[] = [];
  for (const route of routes) {
    if (typeof route?.host !== "string" || !DNS_NAME.test(route.host)) fail("route host", route?.host);
    if (seen.has(route.host)) fail("route host (duplicate)", route.host);
    seen.add(route.host);
    if (!Array.isArray(route.endpoints)) fail(`endpoint list for ${route.host}`, route.endpoints);
    for (const endpoint of route.endpoints) validateEndpoint(route.host, endpoint);
    const endpoints = route.endpoints
      .map((e) => ({ address: e.address, port: e.port }))
      .sort(compareEndpoints)
      .filter((e, i, all) => i === 0 || compareEndpoints(e, all[i - 1] as Endpoint) !== 0);
    out.push({ host: route.host, endpoints });
  }
  return out.sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
}
