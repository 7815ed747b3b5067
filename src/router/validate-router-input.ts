import { isIPv6 } from "node:net";
import { ROUTE_PATH } from "../domain/app-route.js";
import { cidrHostBitsFree } from "../domain/cidr.js";
import { COOKIE_NAME, HEADER_NAME, SEED_COOKIE, TAG_VALUE } from "../domain/traffic-rules.js";
import type { Backend, Endpoint, Pool, RouterTable, Site } from "./route.js";
import type { RouterSettings } from "./router-settings.js";

/**
 * Allow-lists for every value that reaches nginx.conf, checked again here even though the API
 * checked them: a value that fails is never rendered. The error names it (JSON-quoted, so
 * control characters show) and the whole render is refused.
 */
const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const BRACKETED_IPV6 = /^\[[0-9a-f:]{2,39}\]$/;
/** The characters of an IPv6 address as the API's Cidr accepts it (any case, an IPv4 tail); isIPv6 checks the shape. */
const IPV6 = /^[0-9A-Fa-f:.]{2,45}$/;
const STATE_DIR = /^\/[A-Za-z0-9._/-]+$/;
const BACKEND_ID = /^[a-z0-9-]{1,63}\/[a-z0-9-]{1,63}\/[a-z0-9-]{1,63}$/;
const SEED = /^[a-z0-9]{1,32}$/;
const PEM =
  /^(-----BEGIN [A-Z0-9 ]{1,40}-----\n(?:[A-Za-z0-9+/=]{1,80}\n)+-----END [A-Z0-9 ]{1,40}-----\n)+$/;
const MAP_KEYWORDS = new Set(["default", "hostnames", "include", "volatile"]);
/** sun_path is 108 bytes including the NUL; nginx refuses longer unix socket paths. */
const MAX_SOCKET_PATH = 107;

const json = (value: unknown): string => {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return typeof value === "bigint" ? `${value}n` : Object.prototype.toString.call(value);
  }
};

const show = (value: unknown) => {
  const text = json(value);
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
};

function fail(what: string, value: unknown): never {
  throw new Error(`router: refusing to render invalid ${what} ${show(value)}`);
}

const isString = (v: unknown): v is string => typeof v === "string";

export function assertPort(what: string, port: unknown): void {
  if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) fail(what, port);
}

function assertCidr(what: string, cidr: unknown): void {
  if (!isString(cidr) || cidr.length > 49) fail(what, cidr);
  const [address, prefix, extra] = cidr.split("/");
  const v6 = address !== undefined && IPV6.test(address) && isIPv6(address);
  const width = v6 ? 128 : 32;
  const okAddress = address !== undefined && (IPV4.test(address) || v6);
  const okPrefix = prefix !== undefined && /^\d{1,3}$/.test(prefix) && Number(prefix) <= width;
  if (!okAddress || !okPrefix || extra !== undefined || !cidrHostBitsFree(cidr)) fail(what, cidr);
}

/**
 * CIDRs as nginx must read them. nginx parses the address 255.255.255.255 as its error value
 * (INADDR_NONE) and refuses the whole config: an IPv6 address ending in it is spelled in hex
 * instead, and the IPv4 limited broadcast, which never opens a connection, is left out.
 */
export const nginxCidrs = (cidrs: readonly string[]): string[] =>
  cidrs
    .filter((c) => !c.startsWith("255.255.255.255/"))
    .map((c) => c.replace(/:255\.255\.255\.255\//, ":ffff:ffff/"));

export function validateRouterSettings(settings: RouterSettings): void {
  const { listenHosts, port, httpsPort, stateDir, generation, trustedProxies } = settings;
  if (!Array.isArray(listenHosts) || listenHosts.length === 0) fail("listen host list", listenHosts);
  for (const host of listenHosts) {
    const ok = isString(host) && (IPV4.test(host) || host === "localhost" || BRACKETED_IPV6.test(host));
    if (!ok) fail("listen host", host);
  }
  assertPort("listen port", port);
  assertPort("HTTPS port", httpsPort);
  if (port === httpsPort) fail("HTTPS port (same as the HTTP port)", httpsPort);
  if (!isString(stateDir) || !STATE_DIR.test(stateDir) || stateDir.split("/").includes("..")) {
    fail("state directory", stateDir);
  }
  if (`${stateDir}/status.sock`.length > MAX_SOCKET_PATH)
    fail("state directory (too long for a socket)", stateDir);
  if (typeof generation !== "number" || !Number.isSafeInteger(generation) || generation < 0) {
    fail("generation", generation);
  }
  if (!Array.isArray(trustedProxies)) fail("trusted proxy list", trustedProxies);
  for (const cidr of trustedProxies) assertCidr("trusted proxy", cidr);
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

function validatePool(id: string, pool: Pool | null): Pool | null {
  if (pool === null) return null;
  const release = pool?.release;
  if (typeof release !== "number" || !Number.isSafeInteger(release) || release < 1)
    fail(`release for ${id}`, release);
  if (!Array.isArray(pool.endpoints)) fail(`endpoint list for ${id}`, pool.endpoints);
  for (const e of pool.endpoints) {
    if (!isString(e?.address) || !IPV4.test(e.address)) fail(`endpoint address for ${id}`, e?.address);
    assertPort(`endpoint port for ${id}`, e.port);
  }
  const endpoints = pool.endpoints
    .map((e) => ({ address: e.address, port: e.port }))
    .sort(compareEndpoints)
    .filter((e, i, all) => i === 0 || compareEndpoints(e, all[i - 1] as Endpoint) !== 0);
  return { release, endpoints };
}

function assertTag(what: string, value: unknown): void {
  if (!isString(value) || !TAG_VALUE.test(value) || MAP_KEYWORDS.has(value.toLowerCase())) fail(what, value);
}

function validateBackend(b: Backend): Backend {
  if (!isString(b?.id) || !BACKEND_ID.test(b.id)) fail("backend id", b?.id);
  const stable = validatePool(b.id, b.stable ?? null);
  if (!b.canary) return { id: b.id, stable, canary: null };
  const { rules, seed } = b.canary;
  const pool = validatePool(b.id, b.canary.pool) as Pool;
  if (!isString(seed) || !SEED.test(seed)) fail(`canary seed for ${b.id}`, seed);
  if (!rules || !Array.isArray(rules.headers) || !Array.isArray(rules.sourceCidrs))
    fail(`canary rules for ${b.id}`, rules);
  for (const h of rules.headers) {
    const name = h?.name;
    const okName =
      isString(name) && HEADER_NAME.test(name) && !["cookie", "host"].includes(name.toLowerCase());
    if (!okName) fail(`header name for ${b.id}`, name);
    assertTag(`header value for ${b.id}`, h.value);
  }
  if (rules.cookie !== null) {
    const name = rules.cookie?.name;
    if (!isString(name) || !COOKIE_NAME.test(name) || name.toLowerCase() === SEED_COOKIE)
      fail(`cookie name for ${b.id}`, name);
    assertTag(`cookie value for ${b.id}`, rules.cookie.value);
  }
  for (const cidr of rules.sourceCidrs) assertCidr(`source CIDR for ${b.id}`, cidr);
  const w = rules.weight;
  if (typeof w !== "number" || !Number.isInteger(w) || w < 0 || w > 100) fail(`weight for ${b.id}`, w);
  return {
    id: b.id,
    stable,
    canary: {
      pool,
      seed,
      rules: {
        headers: rules.headers.map((h) => ({ name: h.name, value: h.value })),
        cookie: rules.cookie ? { name: rules.cookie.name, value: rules.cookie.value } : null,
        sourceCidrs: nginxCidrs(rules.sourceCidrs),
        weight: w,
      },
    },
  };
}

function validateSite(site: Site, backends: ReadonlySet<string>): Site {
  if (!isString(site?.host) || !DNS_NAME.test(site.host)) fail("site host", site?.host);
  const host = site.host;
  if (site.tls !== null) {
    if (!isString(site.tls?.certPem) || !PEM.test(site.tls.certPem)) fail(`certificate for ${host}`, "(PEM)");
    if (!isString(site.tls.keyPem) || !PEM.test(site.tls.keyPem)) fail(`key for ${host}`, "(PEM)");
  }
  if (!Array.isArray(site.locations)) fail(`location list for ${host}`, site.locations);
  const paths = new Set<string>();
  const locations = site.locations.map((l) => {
    const path = l?.path;
    const okPath = isString(path) && path.length <= 256 && ROUTE_PATH.test(path);
    if (!okPath || path.split("/").some((s) => s === "." || s === "..")) fail(`path for ${host}`, path);
    if (paths.has(path)) fail(`path for ${host} (duplicate)`, path);
    paths.add(path);
    if (!isString(l.backend) || !backends.has(l.backend)) fail(`backend for ${host}${path}`, l.backend);
    if (typeof l.redirectHttps !== "boolean") fail(`redirect flag for ${host}${path}`, l.redirectHttps);
    return { path, backend: l.backend, redirectHttps: l.redirectHttps && site.tls !== null };
  });
  locations.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { host, tls: site.tls ? { certPem: site.tls.certPem, keyPem: site.tls.keyPem } : null, locations };
}

const byKey =
  <T>(key: (t: T) => string) =>
  (a: T, b: T) =>
    key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;

/**
 * Validates the whole table and returns a sorted copy: backends by id, sites by host,
 * locations by path, endpoints by address and port. Duplicate hosts, ids or paths are refused:
 * nginx would silently ignore the second.
 */
export function validateRouterTable(table: RouterTable): RouterTable {
  if (!Array.isArray(table?.backends) || !Array.isArray(table.sites)) fail("router table", "(shape)");
  const ids = new Set<string>();
  const backends = table.backends.map((b) => {
    const valid = validateBackend(b);
    if (ids.has(valid.id)) fail("backend id (duplicate)", valid.id);
    ids.add(valid.id);
    return valid;
  });
  const hosts = new Set<string>();
  const sites = table.sites.map((s) => {
    const valid = validateSite(s, ids);
    if (hosts.has(valid.host)) fail("site host (duplicate)", valid.host);
    hosts.add(valid.host);
    return valid;
  });
  return {
    backends: backends.sort(byKey((b) => b.id)),
    sites: sites.sort(byKey((s) => s.host)),
  };
}
