import type { Readable } from "node:stream";
import type { AuditObject } from "../domain/audit.js";
import type { RunFeatures } from "../domain/isolation.js";
import type { JobSpec } from "../domain/job.js";

/**
 * What services need from an engine, said structurally so services do not depend on any
 * engine module: main.ts passes the real engine, which satisfies these shapes.
 */
export interface ImageLookup {
  /** tenant: whose build made it (null for images Berth did not build). */
  inspectImage(ref: string): Promise<{ id: string; exposedPorts: number[]; tenant: string | null } | null>;
}

/**
 * What one unlimited container can use where an environment runs: BERTH_MEMORY_MB / BERTH_CPUS
 * without limits. `cluster` null: the local engine; otherwise the cluster's largest node.
 */
export interface HostCapacity {
  capacityOn(cluster: string | null): Promise<{ memoryMb: number; cpus: number }>;
}

/** What a cluster's engine (null: the local one) cannot run of a release's elevated settings. */
export interface RunSupport {
  unsupportedOn(cluster: string | null, features: RunFeatures): string | undefined;
}

export interface ImageBuilder extends ImageLookup {
  build(
    context: Readable,
    options: {
      tag: string;
      labels: Record<string, string>;
      vet?: (dockerfile: string | null) => Promise<void>;
      shared?: boolean;
    },
    onLog: (line: string) => void,
  ): Promise<{ id: string; exposedPorts: number[] }>;
  /** The built image and every image it was built on, with whose build made each. */
  imageAncestry(id: string): Promise<{ id: string; tenant: string | null }[]>;
  removeImage(id: string): Promise<void>;
}

export interface RunningView {
  listWorkloads(selector: { tenant?: string; env?: string; app?: string }): Promise<
    {
      id: string;
      name: string;
      release: number;
      slot: number;
      state: string;
      hostPort: number | null;
      address: string | null;
      publishedPort?: number | null;
      node?: string | null;
      detail?: string | null;
      createdAt: string;
    }[]
  >;
  logs(id: string, options: { follow: boolean; tail: number }): Promise<Readable>;
}

export interface RoutingSettings {
  domain: string;
  routerPort: number;
}

/** Makes the router serve what the store says now; resolves once it is live. */
export interface RouterRefresher {
  publish(): Promise<void>;
}

/** Requests one release of an app ("tenant/env/app") got in a time window, from the router's log. */
export interface TrafficWindow {
  requests: number;
  rps: number;
  errors5xx: number;
  errorRate: number;
  p50Ms: number | null;
  p99Ms: number | null;
  /** Requests per deciding rule (header, cookie, cidr, weight, stable). */
  ruleCounts: Record<string, number>;
}

export interface TrafficMetrics {
  stats(app: string, release: number, fromMs: number, toMs: number): Promise<TrafficWindow>;
}

export interface CertificateMaterial {
  certPem: string;
  keyPem: string;
  notAfter: string;
  fingerprint: string;
}

/** Issues certificates (Berth's internal CA today; ACME fits the same shape) and checks uploads. */
export interface Certificates {
  issuerName: string;
  issue(host: string): Promise<CertificateMaterial>;
  /** Throws DomainError invalid (field cert or key) unless the pair is usable for host now. */
  checkUpload(host: string, certPem: string, keyPem: string): CertificateMaterial;
  caCertPem(): string;
  /** True when a certificate with this expiry should be replaced now. */
  isDue(notAfter: string): boolean;
}

/** The key ring as rotation sees it: the real one is crypto/KeyRing. */
export interface KeyRotation {
  rotate(): { id: string };
  retain(ids: ReadonlySet<string>): string[];
  ids(): string[];
}

/** What a write says about itself in the audit record of the API call being served. */
export interface AuditDescription {
  object: AuditObject;
  /** The environment the object is in, when it is in one. */
  env?: string | null;
  /** Non-secret fields that summarise the change, rendered "key=value ...". */
  change?: string | null;
}

/**
 * The audit record of the API call being served: a line about what it relied on (an isolation
 * exception), and what it changed. Outside an API call (the reconciler) both go nowhere.
 */
export interface AuditNotes {
  note(text: string): void;
  describe?(description: AuditDescription): void;
}

/** Runs a module's hook (a one-shot job) to its end and removes it: engines/run-to-completion.ts. */
export interface HookRunner {
  run(spec: JobSpec): Promise<{
    ok: boolean;
    exitCode: number | null;
    timedOut: boolean;
    tail: string;
  }>;
}

/** The named volumes an environment holds (the engine's), so a kept one is never reused. */
export interface VolumeLookup {
  listVolumes(selector: { tenant?: string; env?: string }): Promise<{ name: string }[]>;
}
