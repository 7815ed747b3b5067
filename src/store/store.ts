import type { Kysely, Transaction } from "kysely";
import { DomainError } from "../domain/domain-error.js";
import type { SecretBox } from "../domain/secret-box.js";
import { AppRepository } from "./app-repository.js";
import { AppRouteRepository } from "./app-route-repository.js";
import { AuditRepository } from "./audit-repository.js";
import { BurstRepository } from "./burst-repository.js";
import { CanaryRepository } from "./canary-repository.js";
import { CapabilityModuleRepository } from "./capability-module-repository.js";
import { CertificateRepository } from "./certificate-repository.js";
import { ClusterRepository } from "./cluster-repository.js";
import { ConfigRepository } from "./config-repository.js";
import { DeploymentRepository } from "./deployment-repository.js";
import { DeploymentStatusRepository } from "./deployment-status-repository.js";
import { EndpointRepository } from "./endpoint-repository.js";
import { EnvironmentRepository } from "./environment-repository.js";
import { EventRepository } from "./event-repository.js";
import { InstanceStatusRepository } from "./instance-status-repository.js";
import { MembershipRepository } from "./membership-repository.js";
import { NetworkLinkRepository } from "./network-link-repository.js";
import { PolicyExceptionRepository } from "./policy-exception-repository.js";
import { QuotaRepository } from "./quota-repository.js";
import { ReleaseRepository } from "./release-repository.js";
import { ReplicaStatusRepository } from "./replica-status-repository.js";
import type { Database } from "./schema.js";
import { ServiceBindingRepository } from "./service-binding-repository.js";
import { ServiceInstanceRepository } from "./service-instance-repository.js";
import { ServiceOperationRepository } from "./service-operation-repository.js";
import { TenantRepository } from "./tenant-repository.js";
import { TokenRepository } from "./token-repository.js";
import { TransactionGuard } from "./transaction-guard.js";
import { UserRepository } from "./user-repository.js";

export interface StoreOptions {
  /** A consistent copy of the whole database into a new file, while it stays in use. */
  backupTo?: (file: string) => Promise<void>;
  /** Why backup() is refused: the database has its own tools for it. */
  backupRefusal?: string;
  /** Seals what the store keeps secret by itself (TLS private keys). */
  box?: SecretBox;
  /** Runs first in every transaction (PostgreSQL: take the writers' lock). */
  beginTransaction?: (trx: Transaction<Database>) => Promise<void>;
}

const OUTER_TRANSACTION_IN_TRANSACTION =
  "transaction through the outer store while a transaction is open: use the transaction's store (tx) inside store.transaction(...)";

/** The repositories over one connection or one transaction; nothing here knows the SQL dialect. */
export class Store {
  readonly tenants: TenantRepository;
  readonly environments: EnvironmentRepository;
  readonly apps: AppRepository;
  readonly releases: ReleaseRepository;
  readonly deployments: DeploymentRepository;
  readonly events: EventRepository;
  readonly endpoints: EndpointRepository;
  readonly replicas: ReplicaStatusRepository;
  /** Written by the reconciler only. */
  readonly deploymentStatus: DeploymentStatusRepository;
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
  readonly modules: CapabilityModuleRepository;
  readonly instances: ServiceInstanceRepository;
  /** Written by the reconciler only. */
  readonly instanceStatus: InstanceStatusRepository;
  readonly bindings: ServiceBindingRepository;
  readonly operations: ServiceOperationRepository;

  /**
   * `db` is the bare instance transactions start from. The outer store's repositories query
   * through a TransactionGuard; a transaction's store (`inside`) queries its transaction as is.
   */
  constructor(
    private readonly db: Kysely<Database>,
    private readonly options: StoreOptions = {},
    private readonly inside?: Transaction<Database>,
  ) {
    const q = inside ?? db.withPlugin(new TransactionGuard(this));
    const box = options.box;
    this.tenants = new TenantRepository(q);
    this.environments = new EnvironmentRepository(q);
    this.apps = new AppRepository(q);
    this.releases = new ReleaseRepository(q);
    this.deployments = new DeploymentRepository(q);
    this.events = new EventRepository(q);
    this.endpoints = new EndpointRepository(q);
    this.replicas = new ReplicaStatusRepository(q);
    this.deploymentStatus = new DeploymentStatusRepository(q);
    this.tokens = new TokenRepository(q);
    this.canaries = new CanaryRepository(q);
    this.appRoutes = new AppRouteRepository(q);
    this.certificates = new CertificateRepository(q, box);
    this.config = new ConfigRepository(q);
    this.audit = new AuditRepository(q);
    this.users = new UserRepository(q);
    this.memberships = new MembershipRepository(q);
    this.quotas = new QuotaRepository(q);
    this.exceptions = new PolicyExceptionRepository(q);
    this.links = new NetworkLinkRepository(q);
    this.clusters = new ClusterRepository(q, box);
    this.bursts = new BurstRepository(q);
    this.modules = new CapabilityModuleRepository(q);
    this.instances = new ServiceInstanceRepository(q);
    this.instanceStatus = new InstanceStatusRepository(q);
    this.bindings = new ServiceBindingRepository(q);
    this.operations = new ServiceOperationRepository(q);
  }

  async transaction<T>(work: (tx: Store) => Promise<T>): Promise<T> {
    // Kysely refuses to nest transactions, as it did before the guard.
    if (this.inside) return this.inside.transaction().execute(() => work(this));
    // It would wait for the open one (SQLite: its connection; PostgreSQL: the writers' lock).
    if (TransactionGuard.isOpen(this)) throw new Error(OUTER_TRANSACTION_IN_TRANSACTION);
    return TransactionGuard.within(this, () =>
      this.db.transaction().execute(async (trx) => {
        await this.options.beginTransaction?.(trx);
        return work(new Store(this.db, this.options, trx));
      }),
    );
  }

  async backup(file: string): Promise<void> {
    if (this.options.backupRefusal) throw new DomainError("invalid", this.options.backupRefusal);
    if (!this.options.backupTo) throw new Error("this store cannot make backups");
    return this.options.backupTo(file);
  }

  async close(): Promise<void> {
    // The bare instance is shared with the outer store; only the outer store may end it.
    if (this.inside) throw new Error("close the outer store, not a transaction's store");
    return this.db.destroy();
  }
}
