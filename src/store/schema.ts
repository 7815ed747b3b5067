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
  api_tokens: { id: Generated<number>; name: string; token_hash: string; created_at: string };
}
