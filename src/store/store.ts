import type { Kysely } from "kysely";
import type { SecretBox } from "../domain/secret-box.js";
import { AppRepository } from "./app-repository.js";
import { AppRouteRepository } from "./app-route-repository.js";
import { AuditRepository } from "./audit-repository.js";
import { BurstRepository } from "./burst-repository.js";
import { CanaryRepository } from "./canary-repository.js";
import { CertificateRepository } from "./certificate-repository.js";
import { ClusterRepository } from "./cluster-repository.js";
import { ConfigRepository } from "./config-repository.js";
import { DeploymentRepository } from "./deployment-repository.js";
import { EndpointRepository } from "./endpoint-repository.js";
import { EnvironmentRepository } from "./environment-repository.js";
import { EventRepository } from "./event-repository.js";
import { MembershipRepository } from "./membership-repository.js";
import { NetworkLinkRepository } from "./network-link-repository.js";
import { PolicyExceptionRepository } from "./policy-exception-repository.js";
import { QuotaRepository } from "./quota-repository.js";
import { ReleaseRepository } from "./release-repository.js";
import type { Database } from "./schema.js";
import { TenantRepository } from "./tenant-repository.js";
import { TokenRepository } from "./token-repository.js";
import { UserRepository } from "./user-repository.js";

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
  readonly config: ConfigRepository;
  readonly audit: AuditRepository;
  readonly users: UserRepository;
  readonly memberships: MembershipRepository;
  readonly quotas: QuotaRepository;
  readonly exceptions: PolicyExceptionRepository;
  readonly links: NetworkLinkRepository;
  readonly clusters: ClusterRepository;
  readonly bursts: BurstRepository;

  constructor(
    private readonly db: Kysely<Database>,
    /** A consistent copy of the whole database into a new file, while it stays in use. */
    private readonly backupTo?: (file: string) => Promise<void>,
    /** Seals what the store keeps secret by itself (TLS private keys). */
    private readonly box?: SecretBox,
  ) {
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
    this.certificates = new CertificateRepository(db, box);
    this.config = new ConfigRepository(db);
    this.audit = new AuditRepository(db);
    this.users = new UserRepository(db);
    this.memberships = new MembershipRepository(db);
    this.quotas = new QuotaRepository(db);
    this.exceptions = new PolicyExceptionRepository(db);
    this.links = new NetworkLinkRepository(db);
    this.clusters = new ClusterRepository(db, box);
    this.bursts = new BurstRepository(db);
  }

  transaction<T>(work: (tx: Store) => Promise<T>): Promise<T> {
    return this.db.transaction().execute((trx) => work(new Store(trx, this.backupTo, this.box)));
  }

  backup(file: string): Promise<void> {
    if (!this.backupTo) throw new Error("this store cannot make backups");
    return this.backupTo(file);
  }

  close(): Promise<void> {
    return this.db.destroy();
  }
}
