import { appHost } from "../domain/app-host.js";
import type { TrafficRules } from "../domain/traffic-rules.js";
import type { Backend, RouterTable, Site, SiteLocation } from "../router/route.js";
import type { Store } from "../store/store.js";

const ROUTED_CANARY_PHASES = new Set(["running", "promoting"]);
const backendId = (r: { tenant: string; env: string; app: string }) => `${r.tenant}/${r.env}/${r.app}`;

/**
 * The router's whole table from the store: every deployed app is a backend with its serving
 * release's endpoints and, while a canary runs, the canary's endpoints and rules; every app has
 * its default host, and custom routes add hosts and paths (overriding the default at the same
 * host and path), with the host's certificate when a route asks for TLS.
 */
export async function buildRouterTable(store: Store, domain: string): Promise<RouterTable> {
  const [routed, canaries, routes, certificates] = await Promise.all([
    store.endpoints.listRouted(),
    store.canaries.listActive(),
    store.appRoutes.listAll(),
    store.certificates.listAll(),
  ]);
  const backends = new Map<string, Backend>();
  const sites = new Map<string, { tls: boolean; redirect: boolean; locations: Map<string, SiteLocation> }>();
  const site = (host: string) => {
    let s = sites.get(host);
    if (!s) {
      s = { tls: false, redirect: false, locations: new Map() };
      sites.set(host, s);
    }
    return s;
  };
  const canaryOf = new Map(canaries.map((c) => [`${c.app_id}/${c.env_id}`, c]));

  for (const r of routed) {
    const id = backendId(r);
    const pool = (release: number) => ({
      release,
      endpoints: r.endpoints
        .filter((e) => e.release === release)
        .map((e) => ({ address: e.address, port: e.port })),
    });
    const c = canaryOf.get(`${r.appId}/${r.envId}`);
    const routedCanary = c && ROUTED_CANARY_PHASES.has(c.phase) && c.release !== r.servingRelease;
    backends.set(id, {
      id,
      stable: r.servingRelease === null ? null : pool(r.servingRelease),
      canary: routedCanary ? { pool: pool(c.release), rules: c.rules, seed: `c${c.id}` } : null,
    });
    site(appHost(r, domain)).locations.set("/", { path: "/", backend: id, redirectHttps: false });
  }
  for (const r of routes) {
    const id = backendId(r);
    if (!backends.has(id)) backends.set(id, { id, stable: null, canary: null });
    const s = site(r.host);
    s.locations.set(r.path, { path: r.path, backend: id, redirectHttps: r.redirect_https });
    if (r.tls !== "none") s.tls = true;
  }
  const certs = new Map(certificates.map((c) => [c.host, c]));
  const siteList: Site[] = [...sites].map(([host, s]) => {
    const cert = s.tls ? certs.get(host) : undefined;
    return {
      host,
      tls: cert ? { certPem: cert.cert_pem, keyPem: cert.key_pem } : null,
      locations: [...s.locations.values()],
    };
  });
  return { backends: [...backends.values()], sites: siteList };
}
