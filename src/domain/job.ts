import type { WorkloadIdentity } from "./labels.js";

/**
 * A run-to-completion job: a migration, a backup, a build step, a cron run. It runs once; the
 * engine reports how it ended. Its `name` (a DNS label, unique per app) is the caller's handle.
 */
export interface JobSpec {
  identity: WorkloadIdentity;
  name: string;
  image: string;
  /** Overrides the image's command. */
  command: string[] | null;
  env: Record<string, string>;
  files: { path: string; content: string }[];
  cpus: number | null;
  memoryMb: number | null;
  /** Named volumes of the tenant-environment (see createVolume). */
  volumes: { name: string; path: string }[];
  /** Stopped when still running this long after it started; it then ends `timedOut`. */
  timeoutSeconds: number;
}

/**
 * pending: not started yet (a cluster is placing it). running. succeeded: exit code 0.
 * failed: any other end (a non-zero exit code, killed at its deadline, or it could not start).
 */
export type JobState = "pending" | "running" | "succeeded" | "failed";

export interface JobStatus {
  id: string;
  name: string;
  identity: WorkloadIdentity;
  state: JobState;
  /** Its process's exit code once it ended; null before, or when it never started. */
  exitCode: number | null;
  /** It was still running at its deadline, and was stopped. */
  timedOut: boolean;
  startedAt: string | null;
  finishedAt: string | null;
  /** The node it runs on; null on the local engine. */
  node: string | null;
  /** Why it is pending or failed, in the engine's words. */
  detail: string | null;
}
