import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { serve } from "@hono/node-server";
import Docker from "dockerode";
import { pino } from "pino";
import { requestNotes } from "./api/audit-trail.js";
import { createApi } from "./api/create-api.js";
import { AesGcmBox } from "./crypto/aes-gcm-box.js";
import { KeyRing } from "./crypto/key-ring.js";
import { ScryptPasswordHasher } from "./crypto/scrypt-password-hasher.js";
import { DomainError } from "./domain/domain-error.js";
import { DockerEngine } from "./engines/docker/docker-engine.js";
import { RegistryPublisher } from "./engines/docker/registry-publisher.js";
import { EnginePerEnvironment } from "./engines/engine-per-environment.js";
import { SwarmEngine } from "./engines/swarm/swarm-engine.js";
import { AccessLogMetrics } from "./metrics/access-log-metrics.js";
import { AppSync } from "./reconciler/app-sync.js";
import { BurstLoop } from "./reconciler/burst-loop.js";
import { healthProbe } from "./reconciler/http-health-probe.js";
import { PlanExecutor } from "./reconciler/plan-executor.js";
import { Reconciler } from "./reconciler/reconciler.js";
import { RoutePublisher } from "./reconciler/route-publisher.js";
import { BuiltInRegistry } from "./registry/built-in-registry.js";
import { NginxRouter } from "./router/nginx-router.js";
import { routerListenHosts, type ServerConfig } from "./server-config.js";
import { AccessService } from "./services/access-service.js";
import { AdminService } from "./services/admin-service.js";
import { hashToken, mintToken } from "./services/api-token.js";
import { AppService } from "./services/app-service.js";
import { AuditService } from "./services/audit-service.js";
import { BuildService } from "./services/build-service.js";
import { BurstService } from "./services/burst-service.js";
import { CanaryService } from "./services/canary-service.js";
import { CertificateRenewer } from "./services/certificate-renewer.js";
import { ClusterService } from "./services/cluster-service.js";
import { ConfigService } from "./services/config-service.js";
import { DeployService } from "./services/deploy-service.js";
import { EnvironmentService } from "./services/environment-service.js";
import { IdentityService } from "./services/identity-service.js";
import { LinkService } from "./services/link-service.js";
import { LoginThrottle } from "./services/login-throttle.js";
import { ManifestService } from "./services/manifest-service.js";
import { MemberService } from "./services/member-service.js";
import { PolicyService } from "./services/policy-service.js";
import type { Certificates, TrafficMetrics } from "./services/ports.js";
import { QuotaService } from "./services/quota-service.js";
import { ReleaseMaker } from "./services/release-maker.js";
import { RolloutController } from "./services/rollout-controller.js";
import { RouteService } from "./services/route-service.js";
import { RuntimeService } from "./services/runtime-service.js";
import { TenantService } from "./services/tenant-service.js";
import type { ClusterRow } from "./store/cluster-repository.js";
import { openSqliteStore } from "./store/open-sqlite-store.js";
import type { Store } from "./store/store.js";
import { checkUploadedCertificate } from "./tls/check-uploaded-certificate.js";
import { InternalCa } from "./tls/internal-ca.js";
import { needsRenewal } from "./tls/renewal.js";
import { VERSION } from "./version.js";

/**
 * Composition root: the one place that picks SQLite, Docker and nginx and wires them together.
 * Resolves once the API listens; the returned stop() leaves containers and nginx running.
 */
export async function startServer(config: ServerConfig): Promise<{ stop(): Promise<void>; url: string }> {
  const log = pino({ name: "berth" });
  // 0711: nginx workers (user nobody) must traverse into router/; the secrets inside are 0600.
  mkdirSync(config.dataDir, { recursive: true, mode: 0o711 });
  chmodSync(config.dataDir, 0o711);
  // The key ring lives outside the database, so the database (and its backups) alone reveal no secret.
  const ring = KeyRing.open(config.keyring ?? join(config.dataDir, "keyring"));
  const box = new AesGcmBox(ring);
  const store = await openSqliteStore(join(config.dataDir, "berth.db"), box);
  // TLS keys stored before secrets were sealed are sealed now.
  await store.certificates.reseal(true);
  await ensureAdminToken(store, config.dataDir, log);

  const docker = new Docker();
  const instance = instanceId(config.dataDir);
  const local = new DockerEngine(docker, { instance, filesDir: join(config.dataDir, "files") });
  // Every caller sees one engine; each environment's work goes to its cluster or the local dockerd.
  const engine = new EnginePerEnvironment(
    local,
    async (tenant, env) => (await store.clusters.ofEnvironment(tenant, env))?.name ?? null,
  );
  await engine.ping().catch((error: Error) => {
    throw new Error(
      `cannot reach dockerd at /var/run/docker.sock (${error.message}); start it, e.g. with scripts/setup`,
    );
  });
  const router = new NginxRouter({
    stateDir: join(config.dataDir, "router"),
    listenHosts: routerListenHosts(config.routerHost),
    port: config.routerPort,
    httpsPort: config.routerHttpsPort,
    trustedProxies: config.trustedProxies,
    log: (msg) => log.info(msg),
  });
  const routes = new RoutePublisher(store, router, config.domain);
  await router.start(await routes.currentRoutes());

  const probe = healthProbe(1_000);
  const executor = new PlanExecutor(store, engine, routes, { drainMs: config.drainMs, stopGraceSeconds: 10 });
  const reconciler = new Reconciler(store, engine, new AppSync(store, engine, probe, executor, box), routes, {
    concurrency: 8,
    resyncMs: config.resyncSeconds * 1000,
    log,
  });

  const access = new AccessLogMetrics({
    path: router.accessLogPath,
    reopen: () => router.reopenLogs(),
    onError: (err) => log.warn({ err }, "reading the router's access log failed"),
  });
  access.start();
  const traffic: TrafficMetrics = access;
  const ca = await InternalCa.open(join(config.dataDir, "ca"));
  const certificates: Certificates = {
    issuerName: ca.name,
    issue: (host) => ca.issue(host),
    checkUpload: (host, cert, key) => checkUploadedCertificate(host, cert, key, new Date()),
    caCertPem: () => ca.caCertPem(),
    isDue: (notAfter) => needsRenewal(notAfter, new Date()),
  };

  const registry = config.registry
    ? new BuiltInRegistry({
        stateDir: join(config.dataDir, "registry"),
        listen: config.registry,
        certificate: async () => ({
          ...(await ca.issue(config.registry?.split(":")[0] as string)),
          caPem: ca.caCertPem(),
        }),
        dockerCertsDir: "/etc/docker/certs.d",
        log: (msg) => log.info(msg),
      })
    : null;
  await registry?.start();
  const publisher = registry ? new RegistryPublisher(docker, registry.address) : null;
  const clusters = new ClusterService(
    store,
    {
      connect: (row) => {
        if (!publisher) throw new DomainError("invalid", "clusters need the built-in registry (--registry)");
        return new SwarmEngine(dockerFor(row), row.name, {
          images: local,
          publisher,
          instance,
          pollMs: 1000,
        });
      },
      attach: (handle) => engine.attach(handle as SwarmEngine),
      detach: (name) => engine.detach(name),
      cluster: (name) => engine.cluster(name),
    },
    registry?.address ?? null,
  );
  if (publisher) await clusters.connectAll();

  const routing = { domain: config.domain, routerPort: config.routerPort };
  const releases = new ReleaseMaker(box, engine, requestNotes);
  const canaries = new CanaryService(store, engine, reconciler, routes, traffic, releases);
  const routeService = new RouteService(store, certificates, routes, {
    ...routing,
    httpsPort: config.routerHttpsPort,
  });
  const rollouts = new RolloutController(store, canaries, traffic, (err) =>
    log.error({ err }, "staged rollout step failed"),
  );
  const accessPolicy = new AccessService(store, (tenant, env) => engine.assertWritable(tenant, env));
  const identity = new IdentityService(store, new ScryptPasswordHasher(), accessPolicy, new LoginThrottle());
  const api = createApi({
    version: VERSION,
    authenticate: (token) => identity.authenticate(token),
    logError: (err) => log.error({ err }, "request failed"),
    services: {
      clusters,
      bursts: new BurstService(store, reconciler),
      access: accessPolicy,
      identity,
      members: new MemberService(store),
      quotas: new QuotaService(store),
      policy: new PolicyService(store, requestNotes),
      links: new LinkService(store, reconciler),
      tenants: new TenantService(store),
      environments: new EnvironmentService(store),
      apps: new AppService(store, reconciler, routing),
      deploys: new DeployService(store, engine, reconciler, routing, releases),
      config: new ConfigService(store, engine, reconciler, releases, box),
      manifests: new ManifestService(store, engine, reconciler, releases, box, routeService, canaries),
      admin: new AdminService(store, box, ring),
      audit: new AuditService(store),
      runtime: new RuntimeService(store, engine, probe),
      builds: new BuildService(store, engine),
      canaries,
      routes: routeService,
    },
  });

  await reconciler.start();
  rollouts.start();
  const bursts = new BurstLoop(store, engine, reconciler, (err) => log.warn({ err }, "burst step failed"));
  bursts.start();
  const renewer = new CertificateRenewer(store, certificates, routes, (err) =>
    log.error({ err }, "renewing certificates failed"),
  );
  renewer.start();
  const [hostname, port] = splitHostPort(config.listen);
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: api.fetch, hostname, port }, () => resolve(s));
    s.once("error", reject);
  });
  const url = `http://${hostname}:${port}`;
  log.info(
    { url, router: `${config.routerHost}:${config.routerPort}`, domain: config.domain },
    "berth server ready",
  );

  return {
    url,
    async stop() {
      reconciler.stop();
      rollouts.stop();
      bursts.stop();
      renewer.stop();
      access.stop();
      // Followed log streams would hold the server open forever; nothing else is long-lived.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      if ("closeAllConnections" in server) server.closeAllConnections();
      await closed;
      await store.close();
    },
  };
}

/**
 * First start only: a token for the bootstrap user `admin` (a platform admin without a password),
 * left where only root can read it. Sign-in with passwords starts once someone sets one.
 */
async function ensureAdminToken(store: Store, dataDir: string, log: { info(o: object, m: string): void }) {
  const file = join(dataDir, "admin-token");
  if ((await store.tokens.count()) > 0) return;
  const admin = (await store.users.find("admin")) ?? (await store.users.create("admin", null, true));
  const token = mintToken();
  await store.tokens.create({ user_id: admin.id, name: "admin", token_hash: hashToken(token), kind: "api" });
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  log.info({ file }, "created the admin token");
}

/** A stable id per data dir: it scopes what this server owns on a dockerd other servers may share. */
function instanceId(dataDir: string): string {
  const file = join(dataDir, "instance-id");
  try {
    return readFileSync(file, "utf8").trim();
  } catch {
    const id = randomBytes(6).toString("hex");
    writeFileSync(file, `${id}\n`, { mode: 0o644 });
    return id;
  }
}

/** dockerode options for a cluster's manager: a unix socket, or TCP with or without TLS. */
function dockerFor(row: ClusterRow): Docker {
  if (row.docker_host.startsWith("unix://"))
    return new Docker({ socketPath: row.docker_host.slice("unix://".length) });
  const url = new URL(row.docker_host);
  const tls = row.tls_cert !== null || row.tls_ca !== null;
  return new Docker({
    host: url.hostname,
    port: Number(url.port),
    protocol: tls ? "https" : "http",
    ...(row.tls_ca ? { ca: row.tls_ca } : {}),
    ...(row.tls_cert ? { cert: row.tls_cert } : {}),
    ...(row.tls_key ? { key: row.tls_key } : {}),
  });
}

function splitHostPort(listen: string): [string, number] {
  const i = listen.lastIndexOf(":");
  return [listen.slice(0, i), Number(listen.slice(i + 1))];
}
