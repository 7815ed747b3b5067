import type { BurstPolicy } from "../domain/burst.js";
import type { DeploymentPhase } from "../domain/deployment.js";
import type { WorkloadIdentity } from "../domain/labels.js";
import type { HealthCheck, ReleaseResources } from "../domain/settings.js";

export interface DesiredRelease {
  number: number;
  imageId: string;
  port: number;
  healthPath: string;
  healthCheck: HealthCheck;
  /** What its containers get: resolved config (secrets opened), rendered files, limits. */
  env: Record<string, string>;
  files: { path: string; content: string }[];
  resources: ReleaseResources;
}

/** What the store says should run for one app in one environment. */
export interface DesiredApp {
  identity: WorkloadIdentity;
  /** null: nothing should run (never deployed successfully, or a first deploy failed). */
  release: DesiredRelease | null;
  replicas: number;
  servingRelease: number | null;
  phase: DeploymentPhase;
  rolloutStartedAt: number | null;
  healthTimeoutMs: number;
  /** A second release beside the serving one, getting the traffic its rules pick. */
  canary: DesiredCanary | null;
  /** Link networks every container joins, with the aliases it answers to there. */
  links: { network: string; aliases: string[] }[];
  /** Hybrid-cloud burst policy (clusters only); null: none. */
  burst?: BurstPolicy | null;
  /** A serving replica unhealthy for this long is replaced; undefined: never. */
  replaceUnhealthyAfterMs?: number;
}

export interface DesiredCanary {
  id: number;
  release: DesiredRelease;
  replicas: number;
  /** starting: no traffic until every replica is healthy; running: rules live; promoting: becoming stable. */
  phase: "starting" | "running" | "promoting";
  startedAt: number;
  healthTimeoutMs: number;
}

/** A container as observed right now, with the health verdict of this pass's probe. */
export interface ObservedContainer {
  id: string;
  release: number;
  slot: number;
  state: string;
  /** Where the app answers: the container's network address and its release's port. */
  address: string | null;
  port: number | null;
  healthy: boolean;
  /** Networks it is attached to, by domain name. */
  networks: string[];
  createdAt: string;
  /** Since when it has been running but failing its health check (ms since epoch); null: healthy or not running. */
  unhealthySince?: number | null;
}

export interface RoutedEndpoint {
  containerId: string;
  address: string;
  port: number;
  release: number;
}

export type Action =
  | { type: "start"; release: number; slot: number }
  | { type: "remove"; id: string; reason: string }
  | { type: "route"; release: number | null; endpoints: RoutedEndpoint[] }
  | { type: "drain"; ids: string[] }
  | { type: "complete"; release: number }
  | { type: "fail"; release: number; reason: string }
  | { type: "requeue"; afterMs: number }
  | { type: "connect"; id: string; network: string; aliases: string[] }
  | { type: "disconnect"; id: string; network: string }
  | { type: "canary-ready"; canaryId: number; release: number }
  | { type: "canary-fail"; canaryId: number; release: number; reason: string };
