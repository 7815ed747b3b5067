import type { Kysely } from "kysely";
import { AppRepository } from "./app-repository.js";
import { AppRouteRepository } from "./app-route-repository.js";
import { CanaryRepository } from "./canary-repository.js";
import { CertificateRepository } from "./certificate-repository.js";
import { DeploymentRepository } from "./deployment-repository.js";
import { EndpointRepository } from "./endpoint-repository.js";
import { EnvironmentRepository } from "./environment-repository.js";
import { EventRepository } from "./event-repository.js";
import { ReleaseRepository } from "./release-repository.js";
import type { Database } from "./schema.js";
import { TenantRepository } from "./tenant-repository.js";
import { TokenRepository } from "./token-repository.js";

/** The repositories over one connection or one transaction; nothing here knows the SQL dialect. */
export class Store {
  readonly tenants: TenantRepository;
  readonly environments: EnvironmentRepository;
  readonly apps: AppRepository;
  readonly releases: ReleaseRepository;
  readonly deployments: DeploymentRepository;
  readonly events: EventRepository;
  readonly endpoints: EndpointRepository;
  readonly tokens: TokenRepository;
  readonly canaries: CanaryRepository;
  readonly appRoutes: AppRouteRepository;
  readonly certificates: CertificateRepository;

  constructor(private readonly db: Kysely<Database>) {
    this.tenants = new TenantRepository(db);
    this.environments = new EnvironmentRepository(db);
    this.apps = new AppRepository(db);
    this.releases = new ReleaseRepository(db);
    this.deployments = new DeploymentRepository(db);
    this.events = new EventRepository(db);
    this.endpoints = new EndpointRepository(db);
    this.tokens = new TokenRepository(db);
    this.canaries = new CanaryRepository(db);
    this.appRoutes = new AppRouteRepository(db);
    this.certificates = new CertificateRepository(db);
  }

  transaction<T>(work: (tx: Store) => Promise<T>): Promise<T> {
    return this.db.transaction().execute((trx) => work(new Store(trx)));
  }

  close(): Promise<void> {
    return this.db.destroy();
  }
}
