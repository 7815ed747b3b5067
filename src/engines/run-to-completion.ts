import type { JobSpec } from "../domain/job.js";
import type { Engine } from "./engine.js";

export interface CompletedJob {
  ok: boolean;
  exitCode: number | null;
  timedOut: boolean;
  /** The end of its output (stdout and stderr), for the reason a user reads. */
  tail: string;
}

const POLL_MS = 150;
const TAIL_BYTES = 2000;

/**
 * Runs a job to its end and removes it: a module's hook (bind, ready, backup preflight). Its
 * deadline is the job's own (the engine stops it there); this only waits, reads and cleans up.
 */
export async function runToCompletion(
  engine: Pick<Engine, "runJob" | "job" | "jobLogs" | "cancelJob">,
  spec: JobSpec,
): Promise<CompletedJob> {
  const started = await engine.runJob(spec);
  try {
    let status = started;
    while (status.state === "pending" || status.state === "running") {
      await new Promise((r) => setTimeout(r, POLL_MS));
      const now = await engine.job(started.id);
      if (!now)
        return { ok: false, exitCode: null, timedOut: false, tail: "the job vanished before it ended" };
      status = now;
    }
    let tail = "";
    try {
      const stream = await engine.jobLogs(started.id, { follow: false, tail: 50 });
      for await (const chunk of stream) tail = (tail + String(chunk)).slice(-TAIL_BYTES);
    } catch {
      // The reason then is its exit code alone.
    }
    return {
      ok: status.state === "succeeded",
      exitCode: status.exitCode,
      timedOut: status.timedOut,
      tail: tail.trim() || (status.detail ?? ""),
    };
  } finally {
    await engine.cancelJob(started.id, 1).catch(() => undefined);
  }
}
