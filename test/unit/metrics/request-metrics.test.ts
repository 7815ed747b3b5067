import { describe, expect, it } from "vitest";
import type { AccessRecord } from "../../../src/metrics/access-record.js";
import { RequestMetrics } from "../../../src/metrics/request-metrics.js";

const T0 = 1_764_300_000_000; // a whole second, and a multiple of 5 s
const APP = "acme/prod/web";

const rec = (changes: Partial<AccessRecord> = {}): AccessRecord => ({
  atMs: T0,
  app: APP,
  release: 2,
  rule: "stable",
  status: 200,
  requestTimeMs: 10,
  ...changes,
});

/** Within hdr's precision at two significant digits: 1 %, and exact below 256. */
const expectNear = (actual: number | null, expected: number) => {
  expect(actual).not.toBeNull();
  expect(Math.abs((actual ?? 0) - expected)).toBeLessThanOrEqual(expected * 0.01);
};

describe("RequestMetrics", () => {
  it("counts requests, 5xx and the request rate of one release", () => {
    const m = new RequestMetrics();
    for (let s = 0; s < 10; s++) {
      for (let i = 0; i < 6; i++)
        m.record(rec({ atMs: T0 + s * 1000 + i * 100, status: i === 0 ? 502 : 200 }));
    }
    m.record(rec({ atMs: T0 + 500, status: 404 })); // a client error is not a 5xx
    m.record(rec({ atMs: T0 + 500, status: 600 }));
    const w = m.window(APP, 2, T0, T0 + 10_000);
    expect(w.requests).toBe(62);
    expect(w.errors5xx).toBe(10);
    expect(w.errorRate).toBeCloseTo(10 / 62, 10);
    expect(w.rps).toBeCloseTo(6.2, 10);
  });

  it("reports no latency and no error rate for a window without requests", () => {
    const m = new RequestMetrics();
    m.record(rec({ atMs: T0 - 60_000 }));
    expect(m.window(APP, 2, T0, T0 + 60_000)).toEqual({
      requests: 0,
      rps: 0,
      errors5xx: 0,
      errorRate: 0,
      p50Ms: null,
      p99Ms: null,
      ruleCounts: { header: 0, cookie: 0, cidr: 0, weight: 0, stable: 0, none: 0 },
    });
    expect(m.window("acme/prod/other", 1, T0, T0 + 1000).requests).toBe(0);
  });

  it("gives exact percentiles for latencies below 256 ms", () => {
    const m = new RequestMetrics();
    for (let i = 0; i < 98; i++) m.record(rec({ atMs: T0 + i * 10, requestTimeMs: 10 }));
    m.record(rec({ atMs: T0 + 990, requestTimeMs: 200 }));
    m.record(rec({ atMs: T0 + 995, requestTimeMs: 200 }));
    const w = m.window(APP, 2, T0, T0 + 1000);
    expect(w.p50Ms).toBe(10);
    expect(w.p99Ms).toBe(200);
  });

  it("gives percentiles within 1 % over many latency buckets", () => {
    const m = new RequestMetrics();
    // 1..6000 ms, one request every 10 ms over 60 s, shuffled in time so every bucket holds a spread.
    const latencies = Array.from({ length: 6000 }, (_, i) => ((i * 7919) % 6000) + 1);
    latencies.forEach((ms, i) => {
      m.record(rec({ atMs: T0 + i * 10, requestTimeMs: ms }));
    });
    const w = m.window(APP, 2, T0, T0 + 60_000);
    expect(w.requests).toBe(6000);
    expect(w.rps).toBe(100);
    expectNear(w.p50Ms, 3000);
    expectNear(w.p99Ms, 5940);
  });

  it("records latencies beyond an hour as an hour instead of failing", () => {
    const m = new RequestMetrics();
    m.record(rec({ requestTimeMs: 36_000_000 }));
    expectNear(m.window(APP, 2, T0, T0 + 1000).p99Ms, 3_600_000);
  });

  it("counts the seconds that start in [fromMs, toMs)", () => {
    const m = new RequestMetrics();
    m.record(rec({ atMs: T0 + 999, status: 500 }));
    m.record(rec({ atMs: T0 + 1000 }));
    m.record(rec({ atMs: T0 + 1999 }));
    m.record(rec({ atMs: T0 + 2000, status: 503 }));
    expect(m.window(APP, 2, T0 + 1000, T0 + 2000).requests).toBe(2);
    expect(m.window(APP, 2, T0 + 1000, T0 + 2000).errors5xx).toBe(0);
    expect(m.window(APP, 2, T0 + 1, T0 + 2000).requests).toBe(2); // second T0 starts before fromMs
    expect(m.window(APP, 2, T0, T0 + 1000).requests).toBe(1);
    expect(m.window(APP, 2, T0 + 1000, T0 + 2001).requests).toBe(3); // second T0+2 starts before toMs
    expect(m.window(APP, 2, T0, T0 + 3000).errors5xx).toBe(2);
  });

  it("takes percentiles only from latency buckets that overlap the window", () => {
    const m = new RequestMetrics({ latencyBucketMs: 5000 });
    m.record(rec({ atMs: T0 + 1000, requestTimeMs: 900 }));
    m.record(rec({ atMs: T0 + 6000, requestTimeMs: 20 }));
    const w = m.window(APP, 2, T0 + 5000, T0 + 10_000);
    expect(w.requests).toBe(1);
    expect(w.p99Ms).toBe(20);
  });

  it("rejects an empty or reversed window and a latency bucket that is not whole seconds", () => {
    const m = new RequestMetrics();
    expect(() => m.window(APP, 2, T0, T0)).toThrow(RangeError);
    expect(() => m.window(APP, 2, T0 + 1, T0)).toThrow(RangeError);
    expect(() => new RequestMetrics({ latencyBucketMs: 1500 })).toThrow(RangeError);
    expect(() => new RequestMetrics({ latencyBucketMs: 0 })).toThrow(RangeError);
  });

  it("keeps releases and apps apart, and leaves out requests that matched no app", () => {
    const m = new RequestMetrics();
    m.record(rec({ release: 2, status: 500 }));
    m.record(rec({ release: 3 }));
    m.record(rec({ release: 3 }));
    m.record(rec({ release: null, status: 503, rule: null }));
    m.record(rec({ app: "acme/prod/api", release: 2 }));
    m.record(rec({ app: null, release: null, status: 404 }));
    expect(m.window(APP, 2, T0, T0 + 1000)).toMatchObject({ requests: 1, errors5xx: 1, errorRate: 1 });
    expect(m.window(APP, 3, T0, T0 + 1000)).toMatchObject({ requests: 2, errors5xx: 0, errorRate: 0 });
    expect(m.window(APP, null, T0, T0 + 1000)).toMatchObject({ requests: 1, errors5xx: 1 });
    expect(m.window("acme/prod/api", 2, T0, T0 + 1000).requests).toBe(1);
  });

  it("counts requests per canary rule", () => {
    const m = new RequestMetrics();
    for (const rule of [
      "header",
      "header",
      "cookie",
      "cidr",
      "weight",
      "weight",
      "weight",
      "stable",
    ] as const) {
      m.record(rec({ rule }));
    }
    m.record(rec({ rule: null }));
    m.record(rec({ atMs: T0 + 5000, rule: "header" })); // outside the window
    expect(m.window(APP, 2, T0, T0 + 1000).ruleCounts).toEqual({
      header: 2,
      cookie: 1,
      cidr: 1,
      weight: 3,
      stable: 1,
      none: 1,
    });
  });

  it("lists the releases that got traffic in the window, in order", () => {
    const m = new RequestMetrics();
    m.record(rec({ release: 5 }));
    m.record(rec({ release: 3, atMs: T0 + 2000 }));
    m.record(rec({ release: 4, atMs: T0 + 60_000 }));
    m.record(rec({ release: null }));
    m.record(rec({ app: "acme/prod/api", release: 9 }));
    expect(m.releasesOf(APP, T0, T0 + 10_000)).toEqual([3, 5]);
    expect(m.releasesOf(APP, T0 + 1000, T0 + 61_000)).toEqual([3, 4]);
    expect(m.releasesOf("acme/prod/none", T0, T0 + 10_000)).toEqual([]);
  });

  it("prunes what is older than retainMs and ignores records that old afterwards", () => {
    const m = new RequestMetrics({ retainMs: 10_000 });
    for (let s = 0; s < 20; s++) m.record(rec({ atMs: T0 + s * 1000, requestTimeMs: s < 10 ? 900 : 20 }));
    m.prune(T0 + 20_000);
    expect(m.window(APP, 2, T0, T0 + 10_000).requests).toBe(0);
    expect(m.window(APP, 2, T0, T0 + 20_000).requests).toBe(10);
    expect(m.window(APP, 2, T0, T0 + 20_000).p99Ms).toBe(20);
    m.record(rec({ atMs: T0 + 5000 }));
    expect(m.window(APP, 2, T0, T0 + 20_000).requests).toBe(10);
    m.record(rec({ atMs: T0 + 10_000 }));
    expect(m.window(APP, 2, T0, T0 + 20_000).requests).toBe(11);

    m.prune(T0 + 100_000);
    expect(m.releasesOf(APP, 0, T0 + 100_000)).toEqual([]);
    expect(m.window(APP, 2, 0, T0 + 100_000).requests).toBe(0);
  });
});
