import { appHost } from "../domain/app-host.js";
import type { AppRoute, AppRouteRequest } from "../domain/app-route.js";
import { DomainError } from "../domain/domain-error.js";
import type { AppRouteRow } from "../store/app-route-repository.js";
import type { CertificateRow } from "../store/certificate-repository.js";
import type { Store } from "../store/store.js";
import { type AppInEnv, findAppInEnv } from "./lookup.js";
import type { Certificates, RouterRefresher, RoutingSettings } from "./ports.js";
import { NO_AUDIT, WritePath } from "./write-path.js";

export interface HttpsSettings extends RoutingSettings {
  httpsPort: number;
}

/**
 * Custom hosts and paths for an app, with TLS per host: a certificate from Berth's CA or an
 * uploaded one. Every change is live in the router when the call returns.
 */
export class RouteService {
  constructor(
    private readonly store: Store,
    private readonly certificates: Certificates,
    private readonly router: RouterRefresher,
    private readonly routing: HttpsSettings,
    private readonly writes: WritePath = new WritePath(store, NO_AUDIT),
  ) {}

  async add(tenant: string, env: string, app: string, req: AppRouteRequest): Promise<AppRoute> {
    const where = await findAppInEnv(this.store, tenant, env, app);
    await this.refuseOthersHost(this.store, where, req.host);
    const sameHost = await this.store.appRoutes.findByHost(req.host);
    if (sameHost.some((r) => r.path === req.path))
      throw new DomainError(
        "conflict",
        `${req.host}${req.path} is already routed; pick another host or path`,
        "path",
      );
    const clash = sameHost.find((r) => r.tls !== req.tls && !(req.tls !== "none" && r.tls !== "none"));
    if (clash)
      throw new DomainError(
        "conflict",
        `${req.host} already serves ${clash.tls === "none" ? "plain HTTP only" : "HTTPS"} on other paths; every route of a host must agree on TLS`,
        "tls",
      );
    const material =
      req.tls === "uploaded"
        ? {
            ...this.certificates.checkUpload(req.host, req.certPem as string, req.keyPem as string),
            issuer: "uploaded",
          }
        : req.tls === "internal" && !(await this.hasInternalCert(req.host))
          ? { ...(await this.certificates.issue(req.host)), issuer: this.certificates.issuerName }
          : null;
    const op = {
      tenant,
      object: { kind: "route", name: `${req.host}${req.path}` },
      env,
      change: { app, tls: req.tls, redirectHttps: req.redirectHttps },
    } as const;
    const row = await this.writes.run(op, async (tx) => {
      // Again inside the transaction: two tenants racing for one host, only the first gets it.
      await this.refuseOthersHost(tx, where, req.host);
      if (material)
        await tx.certificates.put({
          host: req.host,
          issuer: material.issuer,
          cert_pem: material.certPem,
          key_pem: material.keyPem,
          not_after: material.notAfter,
          fingerprint: material.fingerprint,
        });
      return tx.appRoutes.insert({
        app_id: where.app.id,
        env_id: where.env.id,
        host: req.host,
        path: req.path,
        tls: req.tls,
        redirect_https: req.redirectHttps ?? false,
        created_at: new Date().toISOString(),
      });
    });
    await this.router.publish();
    return this.toAppRoute(row, await this.store.certificates.find(row.host));
  }

  async list(tenant: string, env: string, app: string): Promise<AppRoute[]> {
    const where = await findAppInEnv(this.store, tenant, env, app);
    const rows = await this.store.appRoutes.list(where.app.id, where.env.id);
    return Promise.all(rows.map(async (r) => this.toAppRoute(r, await this.store.certificates.find(r.host))));
  }

  async remove(tenant: string, env: string, app: string, id: number): Promise<void> {
    const where = await findAppInEnv(this.store, tenant, env, app);
    const row = (await this.store.appRoutes.list(where.app.id, where.env.id)).find((r) => r.id === id);
    if (!row)
      throw new DomainError(
        "not_found",
        `${app} has no route ${id} in ${env}; see 'berth route list ${app} --env ${env}'`,
      );
    const op = {
      tenant,
      object: { kind: "route", name: `${row.host}${row.path}` },
      env,
      change: { app, removed: true },
    } as const;
    await this.writes.run(op, async (tx) => {
      await tx.appRoutes.remove(id);
      // A certificate stays only while some route still serves its host.
      if ((await tx.appRoutes.findByHost(row.host)).length === 0) await tx.certificates.remove(row.host);
    });
    await this.router.publish();
  }

  caCertPem(): string {
    return this.certificates.caCertPem();
  }

  /**
   * A host belongs to one tenant: under the platform domain, hosts are APP.ENV.TENANT.DOMAIN, so
   * a tenant may use only hosts under its own TENANT.DOMAIN, and not another app's default host;
   * any other host belongs to the tenant that routed it first, paths, certificate and all.
   * Refusals never say whose a host is.
   */
  private async refuseOthersHost(store: Store, where: AppInEnv, host: string): Promise<void> {
    const domain = this.routing.domain;
    const own = `.${where.tenant.name}.${domain}`;
    if (host === domain || host.endsWith(`.${domain}`)) {
      if (!host.endsWith(own))
        throw new DomainError(
          "conflict",
          `hosts under ${domain} belong to their tenants (APP.ENV.TENANT.${domain}); this tenant's are under ${own.slice(1)}`,
          "host",
        );
      const labels = host.slice(0, -own.length).split(".");
      const self = appHost({ tenant: where.tenant.name, env: where.env.name, app: where.app.name }, domain);
      if (labels.length === 2 && host !== self) {
        const [app, env] = labels as [string, string];
        if (
          (await store.environments.find(where.tenant.id, env)) &&
          (await store.apps.find(where.tenant.id, app))
        )
          throw new DomainError("conflict", `${host} is the default host of another app`, "host");
      }
      return;
    }
    const owners = await store.appRoutes.tenantsOfHost(host);
    if (owners.some((t) => t !== where.tenant.id))
      throw new DomainError("conflict", `${host} is in use; pick another host`, "host");
  }

  private async hasInternalCert(host: string): Promise<boolean> {
    const cert = await this.store.certificates.find(host);
    return cert?.issuer === this.certificates.issuerName;
  }

  private toAppRoute(row: AppRouteRow, cert: CertificateRow | undefined): AppRoute {
    const https = row.tls !== "none";
    const port = https ? this.routing.httpsPort : this.routing.routerPort;
    const defaultPort = https ? 443 : 80;
    const path = row.path === "/" ? "/" : `${row.path}/`;
    return {
      id: row.id,
      host: row.host,
      path: row.path,
      tls: row.tls as AppRoute["tls"],
      redirectHttps: row.redirect_https,
      url: `${https ? "https" : "http"}://${row.host}${port === defaultPort ? "" : `:${port}`}${path}`,
      certificate:
        https && cert
          ? { issuer: cert.issuer, notAfter: cert.not_after, fingerprint: cert.fingerprint }
          : null,
      createdAt: row.created_at,
    };
  }
}
