import type { Generated } from "kysely";

/** Table shapes as Kysely sees them. Times are ISO-8601 text so SQLite and PostgreSQL agree. */
export interface Database {
  tenants: { id: Generated<number>; name: string; created_at: string };
  environments: {
    id: Generated<number>;
    tenant_id: number;
    name: string;
    created_at: string;
    /** The weakest role that may deploy there; null: unprotected (developers may). */
    min_role: string | null;
    /** null: the local engine. */
    cluster_id: Generated<number | null>;
  };
  apps: {
    id: Generated<number>;
    tenant_id: number;
    name: string;
    created_at: string;
    /** The capability a component app runs for service instances of its name; null: a user's app. */
    capability: Generated<string | null>;
  };
  releases: {
    id: Generated<number>;
    app_id: number;
    env_id: number;
    number: number;
    image: string;
    image_id: string;
    port: number;
    health_path: string;
    source: string;
    rolled_back_from: number | null;
    created_at: string;
    /** JSON map of the resolved plain config (environment variables). */
    config_json: Generated<string>;
    /** JSON [{path, content}] of rendered files that hold no secret. */
    files_json: Generated<string>;
    /** Sealed JSON {env, files} of everything secret or derived from a secret; null if none. */
    sealed: string | null;
    /** JSON of ReleaseResources. */
    resources_json: Generated<string>;
    /** JSON map of the release layer: raw values given with this deploy. */
    release_values: Generated<string>;
    /** One line: what changed against the release before it. */
    changes: Generated<string>;
    promoted_from: string | null;
  };
  deployments: {
    id: Generated<number>;
    app_id: number;
    env_id: number;
    release: number | null;
    replicas: number;
    serving_release: number | null;
    phase: string;
    message: string;
    rollout_started_at: string | null;
    health_timeout_s: number;
    /** When the current release was asked for (its rollout's deadline counts from here). */
    requested_at: string | null;
    /** Counted up on every change of the release asked for: a status names the request it settled. */
    generation: Generated<number>;
    updated_at: string;
  };
  /** What the reconciler achieved for each deployment (see migration 009); only it writes here. */
  deployment_status: {
    app_id: number;
    env_id: number;
    serving_release: number | null;
    phase: string;
    message: string;
    rollout_started_at: string | null;
    observed_release: number | null;
    observed_generation: number | null;
    ready_replicas: number;
    total_replicas: number;
    failed_release: number | null;
    failed_generation: number | null;
    failure_reason: string | null;
    failed_at: string | null;
    updated_at: string;
  };
  deployment_events: {
    id: Generated<number>;
    app_id: number;
    env_id: number;
    release: number | null;
    kind: string;
    message: string;
    at: string;
  };
  endpoints: {
    app_id: number;
    env_id: number;
    container_id: string;
    address: string;
    port: number;
    release: number;
  };
  canaries: {
    id: Generated<number>;
    app_id: number;
    env_id: number;
    mode: string;
    phase: string;
    release: number;
    stable_release: number;
    replicas: number;
    health_timeout_s: number;
    /** JSON of TrafficRules. */
    rules: string;
    /** JSON of RolloutPlan, or null for a manual canary. */
    rollout: string | null;
    step_index: number;
    step_started_at: string | null;
    message: string;
    started_at: string;
    updated_at: string;
  };
  app_routes: {
    id: Generated<number>;
    app_id: number;
    env_id: number;
    host: string;
    path: string;
    tls: string;
    redirect_https: number;
    created_at: string;
  };
  certificates: {
    host: string;
    issuer: string;
    cert_pem: string;
    key_pem: string;
    not_after: string;
    fingerprint: string;
    updated_at: string;
  };
  config_entries: {
    id: Generated<number>;
    tenant_id: number;
    /** 0: every app of the tenant. */
    app_id: number;
    /** 0: every environment. */
    env_id: number;
    key: string;
    secret: number;
    /** The raw template, or for a secret its sealed form. */
    value: string;
    updated_at: string;
  };
  config_files: {
    id: Generated<number>;
    tenant_id: number;
    app_id: number;
    env_id: number;
    path: string;
    value: string;
    updated_at: string;
  };
  settings: {
    id: Generated<number>;
    tenant_id: number;
    app_id: number;
    env_id: number;
    name: string;
    /** JSON of the setting's value. */
    value: string;
    updated_at: string;
  };
  audit_log: {
    id: Generated<number>;
    at: string;
    actor: string;
    token_id: number | null;
    tenant: string | null;
    action: string;
    target: string;
    result: number;
    source: string;
    /** What the call did beyond its route, e.g. an isolation exception it relied on. */
    detail: string | null;
    /** The environment the object is in, when it is in one. */
    env: string | null;
    /** The object the call created or changed (or tried to), e.g. "app" and "web"; null: none named. */
    object_kind: string | null;
    object_name: string | null;
    /** What changed, in non-secret fields only ("image=web:1.4 replicas=3"). */
    change: string | null;
    /** The hash of the row before (audit-chain.ts), and this row's own. */
    prev_hash: string | null;
    hash: string | null;
  };
  /** What the reconciler last saw of each replica (see migration 008). */
  replica_status: {
    app_id: number;
    env_id: number;
    workload_id: string;
    name: string;
    release: number;
    slot: number;
    state: string;
    node: string | null;
    detail: string | null;
    host_port: number | null;
    address: string | null;
    port: number | null;
    healthy: number;
    failures: number;
    last_probe_at: string | null;
    unhealthy_since: string | null;
    created_at: string;
    observed_at: string;
  };
  /** One row: the head of the audit chain, and how many rows it covers. */
  audit_chain: { id: number; head: string; rows: number };
  users: {
    id: Generated<number>;
    name: string;
    /** scrypt$N$r$p$salt$hash, or null for a user who signs in only with API tokens. */
    password_hash: string | null;
    admin: number;
    created_at: string;
  };
  api_tokens: {
    id: Generated<number>;
    name: string;
    token_hash: string;
    created_at: string;
    user_id: number;
    /** Scope: one tenant (and optionally one of its environments), at most `role`; null: all the user's rights. */
    tenant_id: number | null;
    env_id: number | null;
    role: string | null;
    kind: Generated<string>;
    expires_at: string | null;
    revoked_at: string | null;
    last_used_at: string | null;
  };
  memberships: { tenant_id: number; user_id: number; role: string; created_at: string };
  quotas: {
    id: Generated<number>;
    tenant_id: number;
    /** 0: the tenant as a whole. */
    env_id: number;
    cpus: number | null;
    memory_mb: number | null;
    replicas: number | null;
    apps: number | null;
    updated_at: string;
  };
  policy_exceptions: {
    id: Generated<number>;
    tenant_id: number;
    kind: string;
    /** JSON string[]: the paths, capabilities or devices the exception covers ([] for a switch). */
    values_json: string;
    reason: string;
    granted_by: string;
    granted_at: string;
  };
  network_links: {
    id: Generated<number>;
    app_id: number;
    env_id: number;
    to_app_id: number;
    to_env_id: number;
    created_by: string;
    created_at: string;
  };
  clusters: {
    id: Generated<number>;
    name: string;
    /** unix:///path.sock or tcp://host:port of a Swarm manager. */
    docker_host: string;
    tls_ca: string | null;
    tls_cert: string | null;
    tls_key: string | null;
    created_at: string;
  };
  /** Burst policy per app and environment: replicas prefer one node pool, overflow to another. */
  bursts: {
    app_id: number;
    env_id: number;
    prefer: string;
    overflow: string;
    max_overflow: number;
    updated_at: string;
  };
  /** A capability module version (migration 010): its checked manifest and its files. */
  capability_modules: {
    id: Generated<number>;
    capability: string;
    version: string;
    /** 0: every tenant may use it; else only this one. */
    tenant_id: number;
    /** JSON of the checked CapabilityManifest. */
    manifest: string;
    /** JSON [{path, mode, data (base64)}]. */
    files: string;
    /** sha256 over the files: image tags are made of it. */
    digest: string;
    source: string;
    added_by: string;
    created_at: string;
  };
  service_instances: {
    id: Generated<number>;
    tenant_id: number;
    env_id: number;
    name: string;
    module_id: number;
    plan: string;
    /** JSON of the create parameters, defaults filled in. */
    parameters: string;
    /** The generated secrets, sealed (SecretBox). */
    secrets: string;
    generation: Generated<number>;
    deleting: Generated<number>;
    keep_volume: Generated<number>;
    created_by: string;
    created_at: string;
    updated_at: string;
  };
  instance_status: {
    instance_id: number;
    phase: string;
    message: string;
    observed_generation: number | null;
    ready_at: string | null;
    updated_at: string;
  };
  service_bindings: {
    id: Generated<number>;
    instance_id: number;
    app_id: number;
    env_id: number;
    name: string;
    username: string;
    /** Sealed JSON {password, values}: the binding's own credentials. */
    credentials: string;
    created_at: string;
    rotated_at: string | null;
    /** active; revoking: unbound, its user dropped once the app serves revoke_after_release. */
    state: Generated<string>;
    revoke_after_release: number | null;
  };
  service_operations: {
    id: Generated<number>;
    instance_id: number;
    kind: string;
    state: string;
    reason: Generated<string>;
    requested_by: string;
    created_at: string;
    finished_at: string | null;
  };
}
