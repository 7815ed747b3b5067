import { rename, stat } from "node:fs/promises";
import { AccessLogTailer, type AccessLogTailerOptions } from "./access-log-tailer.js";
import { parseAccessLine } from "./access-record.js";
import { type ReleaseWindow, RequestMetrics } from "./request-metrics.js";

export interface AccessLogMetricsOptions {
  path: string;
  /** How much history to keep; default 1 hour. */
  retainMs?: number;
  /** Past this size the log is rotated to `<path>.1`; default 64 MiB. Needs `reopen`. */
  maxBytes?: number;
  /**
   * Makes nginx reopen its logs (USR1 to the master). Without it the log is never rotated, since
   * nginx would go on writing to the renamed file.
   */
  reopen?: () => Promise<void>;
  now?: () => number;
  /** Receives what goes wrong in the background (timer polls, rotation); default: console.error. */
  onError?: (error: unknown) => void;
  /** Passed to the tailer; by default an existing log is read from its end. */
  tailer?: AccessLogTailerOptions;
}

/**
 * The router's access log as per-release request metrics: tails the log into a RequestMetrics and
 * keeps the file small by rotating it.
 */
export class AccessLogMetrics {
  readonly metrics: RequestMetrics;
  private readonly path: string;
  private readonly maxBytes: number;
  private readonly reopen: (() => Promise<void>) | undefined;
  private readonly now: () => number;
  private readonly onError: (error: unknown) => void;
  private readonly tailer: AccessLogTailer;
  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** Bumped by start and stop, so a tick that finishes after stop does not schedule another. */
  private generation = 0;
  /** Renamed the log, but reopen failed: nginx still writes to `<path>.1` until a reopen succeeds. */
  private reopenOwed = false;
  private malformed = 0;

  constructor(options: AccessLogMetricsOptions) {
    this.path = options.path;
    this.maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    this.reopen = options.reopen;
    this.now = options.now ?? Date.now;
    this.onError = options.onError ?? ((error) => console.error("berth: access log metrics:", error));
    this.metrics = new RequestMetrics({ retainMs: options.retainMs });
    this.tailer = new AccessLogTailer(options.path, options.tailer);
  }

  /** Lines that did not parse since this object was made; more than a few means a format mismatch. */
  get malformedLines(): number {
    return this.malformed;
  }

  /**
   * Reads what the log gained since the last poll. A poll asked for while one runs starts after it
   * (callers sharing the wait), so the answer covers every line written before the call.
   */
  poll(): Promise<void> {
    if (this.queued) return this.queued;
    if (!this.running) return this.begin();
    this.queued = this.running
      .catch(() => undefined)
      .then(() => {
        this.queued = null;
        return this.begin();
      });
    return this.queued;
  }

  /** Polls every intervalMs, first right away. The timer never keeps the process alive. */
  start(intervalMs = 1000): void {
    this.stop();
    const generation = this.generation;
    const tick = () => {
      this.poll()
        .catch((error: unknown) => this.report(error))
        .finally(() => {
          if (this.generation === generation) this.timer = setTimeout(tick, intervalMs).unref();
        });
    };
    this.timer = setTimeout(tick, 0).unref();
  }

  stop(): void {
    this.generation++;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Stops polling and closes the log files; the object cannot poll again. */
  async close(): Promise<void> {
    this.stop();
    await Promise.allSettled([this.running, this.queued]);
    await this.tailer.close();
  }

  /** The release's requests in [fromMs, toMs), after reading the log up to now. */
  async stats(app: string, release: number | null, fromMs: number, toMs: number): Promise<ReleaseWindow> {
    await this.poll();
    return this.metrics.window(app, release, fromMs, toMs);
  }

  /** The app's releases that got requests in [fromMs, toMs), after reading the log up to now. */
  async releasesOf(app: string, fromMs: number, toMs: number): Promise<number[]> {
    await this.poll();
    return this.metrics.releasesOf(app, fromMs, toMs);
  }

  private begin(): Promise<void> {
    const run = this.pollOnce().finally(() => {
      if (this.running === run) this.running = null;
    });
    this.running = run;
    return run;
  }

  private async pollOnce(): Promise<void> {
    do {
      for (const line of await this.tailer.readNewLines()) {
        const record = parseAccessLine(line);
        if (record) this.metrics.record(record);
        else this.malformed++;
      }
    } while (this.tailer.hasPending);
    this.metrics.prune(this.now());
    // Rotation is housekeeping: its failure must not fail the read that callers wait for.
    await this.rotateIfLarge().catch((error: unknown) => this.report(error));
  }

  private async rotateIfLarge(): Promise<void> {
    if (!this.reopen) return;
    const size = await sizeIfExists(this.path);
    if (this.reopenOwed) {
      // Still no file at the path: nginx has not reopened yet, so ask again.
      if (size === null) await this.reopen();
      this.reopenOwed = false;
      return;
    }
    if (size === null || size <= this.maxBytes) return;
    // The tailer keeps the renamed file open and reads it to the end, so no line is lost here.
    await rename(this.path, `${this.path}.1`);
    this.reopenOwed = true;
    await this.reopen();
    this.reopenOwed = false;
  }

  private report(error: unknown): void {
    try {
      this.onError(error);
    } catch {
      // An error handler that throws has nowhere left to report to.
    }
  }
}

async function sizeIfExists(path: string): Promise<number | null> {
  try {
    return (await stat(path)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException | null)?.code === "ENOENT") return null;
    throw error;
  }
}
