import type { Generated } from "kysely";

/** Table shapes as Kysely sees them. Times are ISO-8601 text so SQLite and PostgreSQL agree. */
export interface Database {
  tenants: { id: Generated<number>; name: string; created_at: string };
  environments: { id: Generated<number>; tenant_id: number; name: string; created_at: string };
  apps: { id: Generated<number>; tenant_id: number; name: string; created_at: string };
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
  api_tokens: { id: Generated<number>; name: string; token_hash: string; created_at: string };
}
