import { requestNotes } from "../api/audit-trail.js";
import type { ApiServices } from "../api/services.js";
import type { KeyRing } from "../crypto/key-ring.js";
import { ScryptPasswordHasher } from "../crypto/scrypt-password-hasher.js";
import type { SecretBox } from "../domain/secret-box.js";
import type { DockerEngine } from "../engines/docker/docker-engine.js";
import type { EnginePerEnvironment } from "../engines/engine-per-environment.js";
import type { Reconciler } from "../reconciler/reconciler.js";
import type { RoutePublisher } from "../reconciler/route-publisher.js";
import type { ServerConfig } from "../server-config.js";
import { AccessService } from "../services/access-service.js";
import { AdminService } from "../services/admin-service.js";
import { AppService } from "../services/app-service.js";
import { AuditService } from "../services/audit-service.js";
import { BindingService } from "../services/binding-service.js";
import { BuildService } from "../services/build-service.js";
import { BurstService } from "../services/burst-service.js";
import { CanaryService } from "../services/canary-service.js";
import { CatalogService } from "../services/catalog-service.js";
import { type ClusterConnections, ClusterService } from "../services/cluster-service.js";
import { ConfigService } from "../services/config-service.js";
import { DeployService } from "../services/deploy-service.js";
import { EnvironmentService } from "../services/environment-service.js";
import { IdentityService } from "../services/identity-service.js";
import { InstanceService } from "../services/instance-service.js";
import { LinkService } from "../services/link-service.js";
import { LoginThrottle } from "../services/login-throttle.js";
import { ManifestService } from "../services/manifest-service.js";
import { MemberService } from "../services/member-service.js";
import { ModuleImages } from "../services/module-images.js";
import { PolicyService } from "../services/policy-service.js";
import type { Certificates, HookRunner, TrafficMetrics } from "../services/ports.js";
import { QuotaService } from "../services/quota-service.js";
import { ReleaseMaker } from "../services/release-maker.js";
import { RouteService } from "../services/route-service.js";
import { RuntimeService } from "../services/runtime-service.js";
import { TenantService } from "../services/tenant-service.js";
import { WritePath } from "../services/write-path.js";
import type { Store } from "../store/store.js";

export interface ServicesInput {
  config: ServerConfig;
  store: Store;
  box: SecretBox;
  ring: KeyRing;
  engine: EnginePerEnvironment;
  local: DockerEngine;
  connections: ClusterConnections;
  registryAddress: string | null;
  reconciler: Reconciler;
  routes: RoutePublisher;
  traffic: TrafficMetrics;
  certificates: Certificates;
  hooks: HookRunner;
}

/** Every use case, over one write path: what the API calls. */
export function servicesPart(p: ServicesInput): ApiServices {
  const { config, store, box, engine, reconciler, routes } = p;
  // The one way use cases write: quotas, isolation and what the audit record says, per transaction.
  const writes = new WritePath(store, requestNotes);
  const routing = { domain: config.domain, routerPort: config.routerPort };
  const releases = new ReleaseMaker(box, engine);
  const canaries = new CanaryService(
    store,
    engine,
    reconciler,
    routes,
    p.traffic,
    releases,
    undefined,
    writes,
  );
  const routeService = new RouteService(
    store,
    p.certificates,
    routes,
    { ...routing, httpsPort: config.routerHttpsPort },
    writes,
  );
  const moduleImages = new ModuleImages(store, p.local);
  const runtime = new RuntimeService(store, engine);
  const catalog = new CatalogService(store, moduleImages, writes);
  const access = new AccessService(store, (tenant, env) => engine.assertWritable(tenant, env));
  return {
    clusters: new ClusterService(store, p.connections, p.registryAddress, writes),
    bursts: new BurstService(store, reconciler, writes),
    access,
    identity: new IdentityService(
      store,
      new ScryptPasswordHasher(),
      access,
      new LoginThrottle(),
      undefined,
      writes,
    ),
    members: new MemberService(store, writes),
    quotas: new QuotaService(store, writes),
    policy: new PolicyService(store, requestNotes, writes),
    links: new LinkService(store, reconciler, writes),
    tenants: new TenantService(store, writes),
    environments: new EnvironmentService(store, writes),
    apps: new AppService(store, reconciler, routing, writes),
    deploys: new DeployService(store, engine, reconciler, routing, releases, writes),
    config: new ConfigService(store, engine, reconciler, releases, box, writes),
    manifests: new ManifestService(store, engine, reconciler, releases, box, routeService, canaries, writes),
    admin: new AdminService(store, box, p.ring, writes),
    audit: new AuditService(store),
    runtime,
    builds: new BuildService(store, engine, writes),
    canaries,
    routes: routeService,
    catalog,
    instances: new InstanceService(
      store,
      reconciler,
      box,
      catalog,
      moduleImages,
      releases,
      runtime,
      engine,
      writes,
    ),
    bindings: new BindingService(store, reconciler, box, engine, p.hooks, releases, writes),
  };
}
