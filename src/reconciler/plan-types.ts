import type { BurstPolicy } from "../domain/burst.js";
import type { DeploymentPhase } from "../domain/deployment.js";
import type { WorkloadIdentity } from "../domain/labels.js";
import type { HealthCheck, ReleaseResources } from "../domain/settings.js";
import type { LinkAttachment, UpdateStrategy } from "../domain/workload.js";

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
  /** Links every replica joins, with the aliases it answers to there. */
  links: LinkAttachment[];
  /** How a new release replaces the old: rolling (zero downtime) or stop-first (never two at once). */
  strategy?: UpdateStrategy;
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

/**
 * A replica as observed right now, with the health verdict of this pass's probe. The plan
 * gets them in the engine's order: per release, the ones a scale-down removes first come last.
 */
export interface ObservedContainer {
  id: string;
  release: number;
  /** The engine's number for it, for people; nothing is planned by it. */
  slot: number;
  state: string;
  /** Where the app answers: the container's network address and its release's port. */
  address: string | null;
  port: number | null;
  healthy: boolean;
  /** The links it is attached to, by id, ascending. */
  links: number[];
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
  /** Converge the release to `replicas` live replicas on its links; `starting` of them are new. */
  | { type: "apply"; release: number; replicas: number; starting: number }
  /** One replica now (it stayed unhealthy); the apply after it starts its successor. */
  | { type: "remove"; id: string; reason: string }
  /** Every replica of a release now: it never got traffic (failed), or has none left to drain. */
  | { type: "retire"; release: number; reason: string }
  | { type: "route"; release: number | null; endpoints: RoutedEndpoint[] }
  /**
   * After the router stopped sending them new requests and the drain time passed: retire
   * whole releases, and shrink others to fewer replicas (the surplus, already unrouted).
   */
  | { type: "drain"; ids: string[]; retire: number[]; shrink: { release: number; replicas: number }[] }
  | { type: "complete"; release: number }
  | { type: "fail"; release: number; reason: string }
  | { type: "requeue"; afterMs: number }
  | { type: "canary-ready"; canaryId: number; release: number }
  | { type: "canary-fail"; canaryId: number; release: number; reason: string };
