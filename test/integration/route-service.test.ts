import { mkdtemp, rm } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppRouteRequest } from "../../src/domain/app-route.js";
import { RoutePublisher } from "../../src/reconciler/route-publisher.js";
import { NginxRouter } from "../../src/router/nginx-router.js";
import { CertificateRenewer } from "../../src/services/certificate-renewer.js";
import type { Certificates } from "../../src/services/ports.js";
import { RouteService } from "../../src/services/route-service.js";
import { openSqliteStore } from "../../src/store/open-sqlite-store.js";
import type { Store } from "../../src/store/store.js";
import { checkUploadedCertificate } from "../../src/tls/check-uploaded-certificate.js";
import { InternalCa } from "../../src/tls/internal-ca.js";
import { needsRenewal } from "../../src/tls/renewal.js";
import { freePort } from "../support/free-port.js";

function get(
  port: number,
  host: string,
  path = "/",
): Promise<{ status: number; location?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, headers: { host }, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        body += c;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, location: res.headers.location, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** TLS handshake with SNI `host`, trusting only `ca`; resolves the served leaf's fingerprint. */
function handshake(port: number, host: string, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port, servername: host, ca }, () => {
      const fp = socket.getPeerCertificate().fingerprint256.replaceAll(":", "").toLowerCase();
      socket.end();
      resolve(fp);
    });
    socket.on("error", reject);
  });
}

/** RouteService, certificate renewal and the router table on a real store, CA and nginx. */
describe("RouteService with a real nginx", () => {
  let dir: string;
  let store: Store;
  let router: NginxRouter;
  let routes: RouteService;
  let renewer: CertificateRenewer;
  let ca: InternalCa;
  let httpPort: number;
  let httpsPort: number;
  let due = false;

  beforeAll(async () => {
    dir = await mkdtemp("/tmp/berth-rs-");
    store = await openSqliteStore(join(dir, "berth.db"));
    [httpPort, httpsPort] = [await freePort(), await freePort()];
    router = new NginxRouter({
      stateDir: join(dir, "router"),
      listenHosts: ["127.0.0.1"],
      port: httpPort,
      httpsPort,
    });
    const publisher = new RoutePublisher(store, router, "localhost");
    await router.start(await publisher.currentRoutes());
    ca = await InternalCa.open(join(dir, "ca"));
    const certificates: Certificates = {
      issuerName: ca.name,
      issue: (host) => ca.issue(host),
      checkUpload: (host, cert, key) => checkUploadedCertificate(host, cert, key, new Date()),
      caCertPem: () => ca.caCertPem(),
      isDue: (notAfter) => due || needsRenewal(notAfter, new Date()),
    };
    routes = new RouteService(store, certificates, publisher, {
      domain: "localhost",
      routerPort: httpPort,
      httpsPort,
    });
    renewer = new CertificateRenewer(store, certificates, publisher, (e) => {
      throw e;
    });
    const tenant = await store.tenants.create("acme");
    await store.environments.create(tenant.id, "dev");
    await store.apps.create(tenant.id, "web");
    await store.apps.create(tenant.id, "api");
  });

  afterAll(async () => {
    await router.stop();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const add = (app: string, body: unknown) => routes.add("acme", "dev", app, AppRouteRequest.parse(body));

  it("serves a custom host over HTTPS with a certificate from the internal CA, and redirects HTTP", async () => {
    const r = await add("web", { host: "www.example.com", tls: "internal", redirectHttps: true });
    expect(r.url).toBe(`https://www.example.com:${httpsPort}/`);
    expect(r.certificate?.issuer).toBe("internal");
    const fp = await handshake(httpsPort, "www.example.com", ca.caCertPem());
    expect(fp).toBe(r.certificate?.fingerprint);
    const plain = await get(httpPort, "www.example.com", "/x?y=1");
    expect(plain).toMatchObject({ status: 308, location: `https://www.example.com:${httpsPort}/x?y=1` });
    // The app is not deployed, so the route answers but has no instance to send to.
    expect((await get(httpPort, "web.dev.acme.localhost")).status).toBe(404);
  });

  it("routes a path of the same host to another app, and refuses clashes with one sentence each", async () => {
    await add("api", { host: "www.example.com", path: "/api", tls: "internal" });
    await expect(add("api", { host: "www.example.com", path: "/api", tls: "internal" })).rejects.toThrow(
      /already routed/,
    );
    await expect(add("api", { host: "www.example.com", path: "/v2" })).rejects.toThrow(/must agree on TLS/);
    await expect(add("api", { host: "web.dev.acme.localhost", path: "/x" })).rejects.toThrow(
      /default host of another app/,
    );
    expect((await routes.list("acme", "dev", "api")).map((r) => r.path)).toEqual(["/api"]);
    // An app's own default host may take a route (e.g. to add a path or TLS).
    await add("web", { host: "web.dev.acme.localhost", path: "/extra" });
  });

  it("refuses an uploaded certificate that does not cover the host, and changes nothing", async () => {
    const other = await ca.issue("other.example.com");
    await expect(
      add("web", { host: "shop.example.com", tls: "uploaded", certPem: other.certPem, keyPem: other.keyPem }),
    ).rejects.toThrow(/shop\.example\.com/);
    expect(await store.certificates.find("shop.example.com")).toBeUndefined();
    expect((await store.appRoutes.findByHost("shop.example.com")).length).toBe(0);
  });

  it("serves an uploaded certificate", async () => {
    const own = await ca.issue("shop.example.com");
    const r = await add("web", {
      host: "shop.example.com",
      tls: "uploaded",
      certPem: own.certPem,
      keyPem: own.keyPem,
    });
    expect(r.certificate?.issuer).toBe("uploaded");
    expect(await handshake(httpsPort, "shop.example.com", ca.caCertPem())).toBe(own.fingerprint);
  });

  it("renews internal certificates that are due and serves the new one; uploaded ones are left alone", async () => {
    const before = await handshake(httpsPort, "www.example.com", ca.caCertPem());
    expect(await renewer.renewDue()).toEqual([]);
    due = true;
    expect(await renewer.renewDue()).toEqual(["www.example.com"]);
    due = false;
    const after = await handshake(httpsPort, "www.example.com", ca.caCertPem());
    expect(after).not.toBe(before);
    expect(after).toBe((await store.certificates.find("www.example.com"))?.fingerprint);
  });

  it("removes a route and, with the host's last route, its certificate", async () => {
    const web = (await routes.list("acme", "dev", "web")).find((r) => r.host === "www.example.com");
    const api = (await routes.list("acme", "dev", "api")).find((r) => r.host === "www.example.com");
    await routes.remove("acme", "dev", "web", web?.id as number);
    expect(await store.certificates.find("www.example.com")).toBeDefined();
    expect((await get(httpPort, "www.example.com", "/")).status).toBe(404);
    await routes.remove("acme", "dev", "api", api?.id as number);
    expect(await store.certificates.find("www.example.com")).toBeUndefined();
    await expect(handshake(httpsPort, "www.example.com", ca.caCertPem())).rejects.toThrow();
    await expect(routes.remove("acme", "dev", "api", 999)).rejects.toThrow(/has no route 999/);
  });
});
