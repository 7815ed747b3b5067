import { Agent, request } from "node:http";

/**
 * A closed-loop load generator for zero-downtime proofs: N workers, each sending requests back
 * to back, alternating GETs of a static page with POSTs of a small body to a CGI script.
 *
 * The default behaves like an HTTP client should (RFC 9112 §9.3.1, docs/decisions.md #30):
 * GETs go over a shared keep-alive agent, and a GET whose reused idle connection turned out to
 * be closed before any answer is sent once more on a new connection (counted in `retried`);
 * POSTs go on a new connection each and are never retried. `rawKeepAlive` sends everything over
 * keep-alive with no retry at all (to measure what a reload does to such a client), and
 * `keepAlive: false` a new connection per request. A socket error, a timeout, a non-2xx answer
 * or an answer that does not echo the body counts as one failure, with its reason.
 *
 * Both endpoints answer with the name of the build that served them (the first word of the
 * body), so every response says which release answered. The apps are in awkward-apps.ts.
 */
export interface LoadOptions {
  /** The router's port on 127.0.0.1. */
  port: number;
  /** Host header: which app the router picks. */
  host: string;
  /** Concurrent workers, and the agent's maxSockets. */
  workers?: number;
  getPath?: string;
  postPath?: string;
  /** Per-request inactivity timeout. */
  timeoutMs?: number;
  /** Extra request headers (a canary header or cookie). */
  headers?: Record<string, string>;
  /** Source address of every connection (a canary source-CIDR rule). */
  localAddress?: string;
  /** A safety bound: the loop stops by itself after this many requests. */
  maxRequests?: number;
  /** false: a new connection for every request. */
  keepAlive?: boolean;
  /** Every request over keep-alive, nothing retried (not how a careful client behaves). */
  rawKeepAlive?: boolean;
}

export type Method = "GET" | "POST";

export interface Sample {
  method: Method;
  /** Date.now() when the request was issued and when its answer had been read. */
  start: number;
  end: number;
  /** The first word of the body: the build that answered. */
  release: string;
  /** Whether the request went out on a connection that had carried an earlier one. */
  reused: boolean;
}

export interface Failure {
  method: Method;
  start: number;
  end: number;
  reused: boolean;
  /** The HTTP status, or 0 for a socket error or timeout. */
  status: number;
  /** The build that answered, when the failure was an answer (e.g. a 500 from a canary). */
  release: string | null;
  reason: string;
}

export interface LoadReport {
  sent: number;
  /** GETs sent again after their reused keep-alive connection was closed before any answer. */
  retried: number;
  ok: number;
  failed: Failure[];
  /** Successful answers per build name. */
  perRelease: Record<string, number>;
  durationMs: number;
  rps: number;
  samples: Sample[];
}

export interface OneRequest {
  port: number;
  host: string;
  method?: Method;
  path?: string;
  body?: string;
  headers?: Record<string, string>;
  localAddress?: string;
  agent?: Agent | false;
  timeoutMs?: number;
}

export interface OneAnswer {
  status: number;
  body: string;
  reused: boolean;
}

/** One request; rejects on a socket error or timeout, resolves with any HTTP answer. */
export function sendOnce(o: OneRequest): Promise<OneAnswer> {
  const method = o.method ?? "GET";
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { host: o.host, ...o.headers };
    if (o.body !== undefined) {
      headers["content-type"] = "application/x-www-form-urlencoded";
      headers["content-length"] = Buffer.byteLength(o.body);
    }
    const req = request(
      {
        host: "127.0.0.1",
        port: o.port,
        path: o.path ?? "/",
        method,
        headers,
        agent: o.agent ?? false,
        localAddress: o.localAddress,
        timeout: o.timeoutMs ?? 10_000,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          body += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body, reused: req.reusedSocket }));
        res.on("error", (error) =>
          reject(Object.assign(error, { reused: req.reusedSocket, answered: true })),
        );
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer within ${o.timeoutMs ?? 10_000} ms`)));
    req.on("error", (error) => reject(Object.assign(error, { reused: req.reusedSocket })));
    req.end(o.body);
  });
}

export class LoadLoop {
  readonly samples: Sample[] = [];
  readonly failures: Failure[] = [];
  readonly startedAt = Date.now();
  private stopped = false;
  private sent = 0;
  private retried = 0;
  private readonly agent: Agent;
  private readonly done: Promise<void>;

  constructor(private readonly o: LoadOptions) {
    const workers = o.workers ?? 4;
    this.agent = new Agent({ keepAlive: true, maxSockets: workers });
    this.done = Promise.all(Array.from({ length: workers }, (_, i) => this.worker(i))).then(() => undefined);
  }

  /** Answers per build for requests issued at or after `from` (and before `to`). */
  countsSince(from: number, to = Number.POSITIVE_INFINITY): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const s of this.samples)
      if (s.start >= from && s.start < to) counts[s.release] = (counts[s.release] ?? 0) + 1;
    return counts;
  }

  /** Waits until at least `n` more answers came back (the load is really flowing). */
  async waitForAnswers(n: number, timeoutMs = 10_000): Promise<void> {
    const target = this.samples.length + this.failures.length + n;
    const deadline = Date.now() + timeoutMs;
    while (this.samples.length + this.failures.length < target) {
      if (Date.now() > deadline) throw new Error(`load: fewer than ${n} answers within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async stop(): Promise<LoadReport> {
    this.stopped = true;
    await this.done;
    this.agent.destroy();
    const durationMs = Date.now() - this.startedAt;
    const perRelease: Record<string, number> = {};
    for (const s of this.samples) perRelease[s.release] = (perRelease[s.release] ?? 0) + 1;
    return {
      sent: this.sent,
      retried: this.retried,
      ok: this.samples.length,
      failed: this.failures,
      perRelease,
      durationMs,
      rps: (this.sent / durationMs) * 1000,
      samples: this.samples,
    };
  }

  private async worker(index: number): Promise<void> {
    const max = this.o.maxRequests ?? 2_000_000;
    for (let i = index; !this.stopped && this.sent < max; i++) {
      this.sent++;
      const method: Method = i % 2 === 0 ? "GET" : "POST";
      const payload = method === "POST" ? `worker=${index}&n=${i}&pad=${"x".repeat(i % 64)}` : undefined;
      const start = Date.now();
      const keepAlive = this.o.keepAlive !== false && (this.o.rawKeepAlive || method === "GET");
      const send = (agent: Agent | false) =>
        sendOnce({
          port: this.o.port,
          host: this.o.host,
          method,
          path: method === "GET" ? (this.o.getPath ?? "/") : (this.o.postPath ?? "/cgi-bin/echo"),
          body: payload,
          headers: this.o.headers,
          localAddress: this.o.localAddress,
          agent,
          timeoutMs: this.o.timeoutMs ?? 10_000,
        });
      try {
        const res = await send(keepAlive ? this.agent : false).catch(
          (error: { reused?: boolean; answered?: boolean; code?: string }) => {
            // Only a reused connection that failed before any answer: the request never ran.
            const staleIdle =
              error.reused && !error.answered && (error.code === "ECONNRESET" || error.code === "EPIPE");
            if (method !== "GET" || this.o.rawKeepAlive || !staleIdle) throw error;
            this.retried++;
            return send(false);
          },
        );
        const end = Date.now();
        const words = res.body.trim().split(/\s+/);
        const release = words[0] ?? "";
        const fail = (reason: string, status = res.status, who: string | null = release || null) =>
          this.failures.push({ method, start, end, reused: res.reused, status, release: who, reason });
        if (res.status < 200 || res.status > 299)
          fail(`${method} answered ${res.status}: ${res.body.trim().slice(0, 200)}`);
        else if (method === "POST" && words[1] !== String(Buffer.byteLength(payload as string)))
          fail(`POST body was not echoed (sent ${payload?.length} bytes, got '${res.body.trim()}')`);
        else this.samples.push({ method, start, end, release, reused: res.reused });
      } catch (error) {
        const e = error as NodeJS.ErrnoException & { reused?: boolean };
        this.failures.push({
          method,
          start,
          end: Date.now(),
          reused: e.reused ?? false,
          status: 0,
          release: null,
          reason:
            `${method} ${e.code ?? ""} ${e.message}${e.reused ? " (on a reused keep-alive connection)" : ""}`.trim(),
        });
      }
    }
  }
}

export const startLoad = (o: LoadOptions) => new LoadLoop(o);

/** One line for the log: what the load did. */
export function describeLoad(step: string, r: LoadReport): string {
  const releases = Object.entries(r.perRelease)
    .map(([k, n]) => `${k}=${n}`)
    .join(" ");
  const posts = r.samples.filter((s) => s.method === "POST").length;
  return (
    `${step}: sent ${r.sent} (${posts} POSTs answered) in ${(r.durationMs / 1000).toFixed(1)} s, ` +
    `${r.rps.toFixed(0)} req/s, failed ${r.failed.length}, GETs retried on a closed idle connection ${r.retried}; ` +
    `answered by ${releases || "-"}`
  );
}

/** Median and 95th percentile of durations, in ms. */
export function percentiles(values: number[]): { n: number; p50: number; p95: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
  return { n: sorted.length, p50: at(0.5), p95: at(0.95), max: sorted[sorted.length - 1] ?? 0 };
}

/**
 * What the failures have in common, in one line: how many were POSTs, how many went out on a
 * reused keep-alive connection, how many were issued while a router change was being applied
 * (within `slackMs` of one of `changes`), and their reasons with counts.
 */
export function summarizeFailures(
  failed: Failure[],
  changes: { from: number; to: number }[] = [],
  slackMs = 100,
): string {
  if (failed.length === 0) return "no failed requests";
  const reasons = new Map<string, number>();
  for (const f of failed) {
    const reason = f.status > 0 ? `${f.method} answered ${f.status} by ${f.release ?? "?"}` : f.reason;
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  }
  const during = failed.filter((f) =>
    changes.some((c) => f.start >= c.from - slackMs && f.start <= c.to + slackMs),
  ).length;
  return (
    `${failed.length} failed (${failed.filter((f) => f.method === "POST").length} POSTs, ` +
    `${failed.filter((f) => f.reused).length} on reused keep-alive connections, ` +
    `${during} issued while a router change was being applied): ` +
    [...reasons].map(([r, n]) => `${n}x ${r}`).join("; ")
  );
}
