/**
 * Load generators for bench/router.ts: wrk at a fixed concurrency (closed loop), wrk paced with a
 * per-connection think time, and a small fixed-rate (open loop) client in Node.
 */
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { join } from "node:path";

export interface LoadResult {
  /** Completed requests per second. */
  rps: number;
  requests: number;
  /** Latency percentiles, ms. */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** Socket errors, timeouts and non-2xx/3xx answers. */
  errors: number;
}

// wrk's done() gets exact percentiles (microseconds) from its histogram; print them as one JSON line.
const DONE_LUA = `
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"errors":%d,"status_errors":%d,"p50":%d,"p90":%d,"p99":%d,"max":%d}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
`;

/** Writes the Lua scripts wrk needs into dir; returns their paths. */
export function writeWrkScripts(dir: string, pacedDelayMs: number): { done: string; paced: string } {
  const done = join(dir, "wrk-done.lua");
  const paced = join(dir, "wrk-paced.lua");
  writeFileSync(done, DONE_LUA);
  // delay() is wrk's think time: each connection waits this long after a response before the next request.
  writeFileSync(paced, `${DONE_LUA}\ndelay = function() return ${Math.round(pacedDelayMs)} end\n`);
  return { done, paced };
}

/** Runs wrk (1 thread) against http://127.0.0.1:port/ with the given Host header. Never a shell. */
export function runWrk(opts: {
  port: number;
  host: string;
  connections: number;
  durationS: number;
  script: string;
}): Promise<LoadResult> {
  const args = [
    "-t1",
    `-c${opts.connections}`,
    `-d${opts.durationS}s`,
    "--timeout",
    "5s",
    "-s",
    opts.script,
    "-H",
    `Host: ${opts.host}`,
    `http://127.0.0.1:${opts.port}/`,
  ];
  return new Promise((resolve, reject) => {
    execFile("wrk", args, { timeout: (opts.durationS + 30) * 1000 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`wrk ${args.join(" ")} failed: ${error.message}\n${stderr}`));
      const line = stdout.split("\n").find((l) => l.startsWith("WRKJSON "));
      if (!line) return reject(new Error(`wrk printed no summary:\n${stdout}\n${stderr}`));
      const j = JSON.parse(line.slice("WRKJSON ".length)) as Record<string, number>;
      const us = (k: string) => (j[k] as number) / 1000;
      resolve({
        rps: (j.requests as number) / ((j.duration_us as number) / 1e6),
        requests: j.requests as number,
        p50: us("p50"),
        p90: us("p90"),
        p99: us("p99"),
        max: us("max"),
        errors: (j.errors as number) + (j.status_errors as number),
      });
    });
  });
}

export interface FixedRateResult extends LoadResult {
  /** Requests per second asked for. */
  targetRps: number;
  /** Largest delay between a request's scheduled time and its send, ms (the client falling behind). */
  maxScheduleLagMs: number;
}

function pct(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

/**
 * Open-loop load at a fixed rate from Node: requests are scheduled at exact times (rate per
 * second) over keep-alive connections (at most `connections`), whether or not earlier ones have
 * answered. Latency is measured from the send (including any wait for a free connection) to the
 * end of the response. The timer has ~1 ms granularity, so requests leave in small bursts
 * (rate/1000 per tick); timing from the scheduled time instead would add up to 1 ms of timer slack
 * to every request and hide sub-millisecond differences, so the lag is reported on its own.
 */
export async function fixedRate(opts: {
  port: number;
  host: string;
  rps: number;
  durationS: number;
  connections: number;
}): Promise<FixedRateResult> {
  const agent = new Agent({
    keepAlive: true,
    maxSockets: opts.connections,
    maxFreeSockets: opts.connections,
    scheduling: "fifo",
  });
  const total = Math.round(opts.rps * opts.durationS);
  const latencies = new Float64Array(total);
  const intervalMs = 1000 / opts.rps;
  let sent = 0;
  let completed = 0;
  let errors = 0;
  let maxLag = 0;
  const start = performance.now() + 20;

  await new Promise<void>((resolveAll) => {
    const finishOne = () => {
      if (sent === total && completed + errors === total) resolveAll();
    };
    const send = () => {
      const sentAt = performance.now();
      const req = request(
        {
          host: "127.0.0.1",
          port: opts.port,
          path: "/",
          method: "GET",
          headers: { host: opts.host },
          agent,
          timeout: 5000,
        },
        (res) => {
          res.on("data", () => undefined);
          res.on("end", () => {
            if ((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 400) {
              latencies[completed++] = performance.now() - sentAt;
            } else errors++;
            finishOne();
          });
        },
      );
      req.on("timeout", () => req.destroy(new Error("timeout")));
      req.on("error", () => {
        errors++;
        finishOne();
      });
      req.end();
    };
    const pump = () => {
      const now = performance.now();
      const due = Math.min(total, Math.floor((now - start) / intervalMs) + 1);
      while (sent < due) {
        maxLag = Math.max(maxLag, now - (start + sent * intervalMs));
        sent++;
        send();
      }
      if (sent < total) setTimeout(pump, 1);
      else finishOne();
    };
    setTimeout(pump, Math.max(0, start - performance.now()));
  });
  const elapsedS = (performance.now() - start) / 1000;
  agent.destroy();
  const sorted = latencies.subarray(0, completed).sort();
  return {
    targetRps: opts.rps,
    rps: completed / elapsedS,
    requests: completed,
    p50: pct(sorted, 50),
    p90: pct(sorted, 90),
    p99: pct(sorted, 99),
    max: pct(sorted, 100),
    errors,
    maxScheduleLagMs: maxLag,
  };
}

/** The Node client's own ceiling: `connections` keep-alive loops, each sending its next request on the answer. */
export async function nodeClosedLoop(opts: {
  port: number;
  host: string;
  durationS: number;
  connections: number;
}): Promise<{ rps: number; errors: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: opts.connections });
  const end = performance.now() + opts.durationS * 1000;
  let done = 0;
  let errors = 0;
  const one = () =>
    new Promise<void>((resolve) => {
      const req = request(
        { host: "127.0.0.1", port: opts.port, path: "/", headers: { host: opts.host }, agent, timeout: 5000 },
        (res) => {
          res.on("data", () => undefined);
          res.on("end", () => {
            done++;
            resolve();
          });
        },
      );
      req.on("timeout", () => req.destroy(new Error("timeout")));
      req.on("error", () => {
        errors++;
        resolve();
      });
      req.end();
    });
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: opts.connections }, async () => {
      while (performance.now() < end) await one();
    }),
  );
  const elapsedS = (performance.now() - t0) / 1000;
  agent.destroy();
  return { rps: done / elapsedS, errors };
}
