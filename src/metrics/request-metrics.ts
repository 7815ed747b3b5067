import { build, type Histogram } from "hdr-histogram-js";
import { TrafficRuleKind } from "../domain/traffic-rules.js";
import type { AccessRecord } from "./access-record.js";

/** Requests per canary rule; `none` counts requests no rule chose (logged as "-"). */
export type RuleCounts = Record<TrafficRuleKind | "none", number>;

export interface ReleaseWindow {
  requests: number;
  rps: number;
  errors5xx: number;
  /** errors5xx / requests, 0 when there were no requests. */
  errorRate: number;
  /** null when there were no requests. */
  p50Ms: number | null;
  p99Ms: number | null;
  ruleCounts: RuleCounts;
}

export interface RequestMetricsOptions {
  /** Default 1 hour. */
  retainMs?: number;
  /** Width of a latency histogram, a whole number of seconds. Default 5 s. */
  latencyBucketMs?: number;
}

const SECOND_MS = 1000;
/** Longer requests (websockets, long polls) are recorded as this: a p99 of an hour says enough. */
const MAX_LATENCY_MS = 3_600_000;
const RULE_KEYS = [...TrafficRuleKind.options, "none"] as const;
const NONE_INDEX = RULE_KEYS.length - 1;
const RULE_INDEX = new Map<string, number>(TrafficRuleKind.options.map((rule, i) => [rule, i]));

/**
 * Two significant digits (values below 256 ms exact, above within 1 %) is plenty for a gate and
 * keeps a packed histogram near 1-2 KB.
 */
const newHistogram = (): Histogram =>
  build({
    bitBucketSize: "packed",
    autoResize: false,
    lowestDiscernibleValue: 1,
    highestTrackableValue: MAX_LATENCY_MS,
    numberOfSignificantValueDigits: 2,
  });

interface SecondBucket {
  requests: number;
  errors5xx: number;
  /** Indexed like RULE_KEYS; an array is far smaller than an object per second. */
  rules: number[];
}

interface Series {
  /** Keyed by epoch second. */
  seconds: Map<number, SecondBucket>;
  /** Keyed by epoch time / latencyBucketMs. */
  latency: Map<number, Histogram>;
  /** The earliest end of any bucket: lets prune skip a series without walking its buckets. */
  oldestEndMs: number;
}

/**
 * Request counts per (app, release): 1 s buckets for counts, 5xx and rules, and coarser latency
 * histograms, since a histogram takes 1-2 KB and a second of counters under 100 bytes; an hour of
 * steady traffic then costs about 1.5 MB per release instead of 5.5 MB.
 *
 * A window covers the 1 s buckets that start in [fromMs, toMs), so counts are exact for windows on
 * whole seconds. Percentiles merge the latency buckets that overlap those seconds, so they may
 * include up to latencyBucketMs - 1 s of requests just outside the window at either end.
 */
export class RequestMetrics {
  readonly retainMs: number;
  readonly latencyBucketMs: number;
  private readonly apps = new Map<string, Map<number | null, Series>>();
  private cutoffMs = Number.NEGATIVE_INFINITY;

  constructor(options: RequestMetricsOptions = {}) {
    this.retainMs = options.retainMs ?? 3_600_000;
    this.latencyBucketMs = options.latencyBucketMs ?? 5 * SECOND_MS;
    if (!Number.isInteger(this.latencyBucketMs / SECOND_MS) || this.latencyBucketMs <= 0) {
      throw new RangeError(
        `latencyBucketMs must be a positive multiple of 1000, got ${this.latencyBucketMs}`,
      );
    }
  }

  /** Requests that matched no app are not any release's traffic, so they are left out. */
  record(record: AccessRecord): void {
    if (record.app === null) return;
    const second = Math.floor(record.atMs / SECOND_MS);
    // Already pruned: keeping it would resurrect a bucket that prune just dropped.
    if ((second + 1) * SECOND_MS <= this.cutoffMs) return;

    const series = this.seriesFor(record.app, record.release);
    let bucket = series.seconds.get(second);
    if (!bucket) {
      bucket = { requests: 0, errors5xx: 0, rules: new Array<number>(RULE_KEYS.length).fill(0) };
      series.seconds.set(second, bucket);
      // A latency bucket ends no earlier than the second it holds, so this is the earliest end.
      series.oldestEndMs = Math.min(series.oldestEndMs, (second + 1) * SECOND_MS);
    }
    bucket.requests++;
    if (record.status >= 500 && record.status <= 599) bucket.errors5xx++;
    const ruleIndex = record.rule === null ? NONE_INDEX : (RULE_INDEX.get(record.rule) ?? NONE_INDEX);
    bucket.rules[ruleIndex] = (bucket.rules[ruleIndex] ?? 0) + 1;

    const slot = Math.floor(record.atMs / this.latencyBucketMs);
    let histogram = series.latency.get(slot);
    if (!histogram) {
      histogram = newHistogram();
      series.latency.set(slot, histogram);
    }
    histogram.recordValue(Math.min(Math.max(Math.round(record.requestTimeMs), 0), MAX_LATENCY_MS));
  }

  window(app: string, release: number | null, fromMs: number, toMs: number): ReleaseWindow {
    if (!(toMs > fromMs)) throw new RangeError(`window needs fromMs < toMs, got ${fromMs}..${toMs}`);
    const [first, end] = secondsOf(fromMs, toMs);
    const ruleCounts = Object.fromEntries(RULE_KEYS.map((key) => [key, 0])) as RuleCounts;
    let requests = 0;
    let errors5xx = 0;
    const series = this.apps.get(app)?.get(release);
    if (series) {
      for (const [second, bucket] of series.seconds) {
        if (second < first || second >= end) continue;
        requests += bucket.requests;
        errors5xx += bucket.errors5xx;
        RULE_KEYS.forEach((key, i) => {
          ruleCounts[key] += bucket.rules[i] ?? 0;
        });
      }
    }
    const latency = series && requests > 0 ? this.percentiles(series, first, end) : null;
    return {
      requests,
      rps: requests / ((toMs - fromMs) / SECOND_MS),
      errors5xx,
      errorRate: requests === 0 ? 0 : errors5xx / requests,
      p50Ms: latency?.p50 ?? null,
      p99Ms: latency?.p99 ?? null,
      ruleCounts,
    };
  }

  /** Releases of the app that got at least one request in the window, ascending. */
  releasesOf(app: string, fromMs: number, toMs: number): number[] {
    const [first, end] = secondsOf(fromMs, toMs);
    const releases: number[] = [];
    for (const [release, series] of this.apps.get(app) ?? []) {
      if (release === null) continue;
      for (const second of series.seconds.keys()) {
        if (second >= first && second < end) {
          releases.push(release);
          break;
        }
      }
    }
    return releases.sort((a, b) => a - b);
  }

  /** Drops buckets that end more than retainMs before nowMs, and records that old from now on. */
  prune(nowMs: number): void {
    this.cutoffMs = Math.max(this.cutoffMs, nowMs - this.retainMs);
    const cutoff = this.cutoffMs;
    for (const [app, releases] of this.apps) {
      for (const [release, series] of releases) {
        if (series.oldestEndMs > cutoff) continue;
        let oldestEndMs = Number.POSITIVE_INFINITY;
        for (const second of series.seconds.keys()) {
          const endMs = (second + 1) * SECOND_MS;
          if (endMs <= cutoff) series.seconds.delete(second);
          else oldestEndMs = Math.min(oldestEndMs, endMs);
        }
        for (const [slot, histogram] of series.latency) {
          const endMs = (slot + 1) * this.latencyBucketMs;
          if (endMs > cutoff) {
            oldestEndMs = Math.min(oldestEndMs, endMs);
            continue;
          }
          histogram.destroy();
          series.latency.delete(slot);
        }
        series.oldestEndMs = oldestEndMs;
        if (series.seconds.size === 0 && series.latency.size === 0) releases.delete(release);
      }
      if (releases.size === 0) this.apps.delete(app);
    }
  }

  private seriesFor(app: string, release: number | null): Series {
    let releases = this.apps.get(app);
    if (!releases) {
      releases = new Map();
      this.apps.set(app, releases);
    }
    let series = releases.get(release);
    if (!series) {
      series = { seconds: new Map(), latency: new Map(), oldestEndMs: Number.POSITIVE_INFINITY };
      releases.set(release, series);
    }
    return series;
  }

  /** Merges the latency buckets overlapping seconds [first, end). */
  private percentiles(series: Series, first: number, end: number): { p50: number; p99: number } | null {
    const lowSlot = Math.floor((first * SECOND_MS) / this.latencyBucketMs);
    const highSlot = Math.floor((end * SECOND_MS - 1) / this.latencyBucketMs);
    const parts: Histogram[] = [];
    for (const [slot, histogram] of series.latency)
      if (slot >= lowSlot && slot <= highSlot) parts.push(histogram);
    if (parts.length === 0) return null;
    if (parts.length === 1 && parts[0]) return percentilesOf(parts[0]);
    const merged = newHistogram();
    try {
      for (const part of parts) merged.add(part);
      return percentilesOf(merged);
    } finally {
      merged.destroy();
    }
  }
}

const percentilesOf = (histogram: Histogram) => ({
  p50: histogram.getValueAtPercentile(50),
  p99: histogram.getValueAtPercentile(99),
});

/** The epoch seconds [first, end) whose buckets start in [fromMs, toMs). */
function secondsOf(fromMs: number, toMs: number): [number, number] {
  return [Math.ceil(fromMs / SECOND_MS), Math.ceil(toMs / SECOND_MS)];
}
