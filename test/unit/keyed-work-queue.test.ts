import { afterEach, describe, expect, it, vi } from "vitest";
import {
  KeyedWorkQueue,
  type KeyedWorkQueueOptions,
  type SyncResult,
} from "../../src/reconciler/keyed-work-queue.js";

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
}
function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/** Lets pending promise callbacks (the queue's bookkeeping after a handler settles) run. */
const flush = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

const OPTIONS: KeyedWorkQueueOptions = { concurrency: 4, baseBackoffMs: 5, maxBackoffMs: 20 };

const queues: KeyedWorkQueue[] = [];
function newQueue(
  handler: (key: string) => Promise<SyncResult | undefined>,
  options: Partial<KeyedWorkQueueOptions> = {},
): KeyedWorkQueue {
  const queue = new KeyedWorkQueue(handler, { ...OPTIONS, ...options });
  queues.push(queue);
  return queue;
}

afterEach(() => {
  for (const q of queues.splice(0)) q.stop();
  vi.useRealTimers();
});

/** Counts runs per key and records the largest number of simultaneous runs, per key and overall. */
class Probe {
  readonly runs = new Map<string, number>();
  readonly inFlight = new Map<string, number>();
  readonly maxInFlightPerKey = new Map<string, number>();
  readonly order: string[] = [];
  total = 0;
  maxTotal = 0;

  enter(key: string) {
    this.order.push(key);
    this.runs.set(key, (this.runs.get(key) ?? 0) + 1);
    const n = (this.inFlight.get(key) ?? 0) + 1;
    this.inFlight.set(key, n);
    this.maxInFlightPerKey.set(key, Math.max(this.maxInFlightPerKey.get(key) ?? 0, n));
    this.total++;
    this.maxTotal = Math.max(this.maxTotal, this.total);
  }

  leave(key: string) {
    this.inFlight.set(key, (this.inFlight.get(key) ?? 0) - 1);
    this.total--;
  }

  count(key: string) {
    return this.runs.get(key) ?? 0;
  }
}

describe("KeyedWorkQueue: deduplication", () => {
  it("runs a key that was queued twice only once", async () => {
    const probe = new Probe();
    const gate = deferred();
    const queue = newQueue(
      async (key) => {
        probe.enter(key);
        if (key === "blocker") await gate.promise;
        probe.leave(key);
        return undefined;
      },
      { concurrency: 1 },
    );
    queue.add("blocker");
    queue.add("a");
    queue.add("a");
    queue.add("a");
    expect(queue.size).toBe(2);
    expect(probe.count("a")).toBe(0);
    gate.resolve();
    await queue.whenIdle();
    expect(probe.count("blocker")).toBe(1);
    expect(probe.count("a")).toBe(1);
    expect(queue.size).toBe(0);
  });

  it("re-runs a key added while it was processing exactly once afterwards", async () => {
    const probe = new Probe();
    const first = deferred();
    const started = deferred();
    const queue = newQueue(async (key) => {
      probe.enter(key);
      if (probe.count(key) === 1) {
        started.resolve();
        await first.promise;
      }
      probe.leave(key);
      return undefined;
    });
    queue.add("a");
    await started.promise;
    queue.add("a");
    queue.add("a");
    queue.add("a");
    // Not started a second time while the first run is in flight.
    expect(probe.count("a")).toBe(1);
    first.resolve();
    await queue.whenIdle();
    expect(probe.count("a")).toBe(2);
    await sleep(20);
    expect(probe.count("a")).toBe(2);
    expect(probe.maxInFlightPerKey.get("a")).toBe(1);
  });
});

describe("KeyedWorkQueue: concurrency", () => {
  it("never runs one key twice at once, while running different keys in parallel", async () => {
    const probe = new Probe();
    const keys = ["a", "b", "c", "d", "e", "f"];
    const queue = newQueue(
      async (key) => {
        probe.enter(key);
        await sleep(1 + (key.charCodeAt(0) % 3));
        probe.leave(key);
        return undefined;
      },
      { concurrency: 3 },
    );
    for (let round = 0; round < 25; round++) {
      for (const key of keys) if ((round + key.charCodeAt(0)) % 2 === 0) queue.add(key);
      await sleep(round % 3);
    }
    await queue.whenIdle();
    for (const key of keys) {
      expect(probe.count(key), key).toBeGreaterThan(1);
      expect(probe.maxInFlightPerKey.get(key), key).toBe(1);
    }
    expect(probe.maxTotal).toBeLessThanOrEqual(3);
    // The limit was actually reached, so the checks above were not vacuous.
    expect(probe.maxTotal).toBe(3);
  });

  it("starts at most `concurrency` handlers and the next queued one as each finishes", async () => {
    const probe = new Probe();
    const gates = new Map<string, Deferred>();
    const queue = newQueue(
      async (key) => {
        probe.enter(key);
        const gate = deferred();
        gates.set(key, gate);
        await gate.promise;
        probe.leave(key);
        return undefined;
      },
      { concurrency: 2 },
    );
    for (const key of ["k1", "k2", "k3", "k4", "k5"]) queue.add(key);
    expect(probe.order).toEqual(["k1", "k2"]);
    expect(queue.size).toBe(5);
    gates.get("k2")?.resolve();
    await flush();
    expect(probe.order).toEqual(["k1", "k2", "k3"]);
    expect(probe.total).toBe(2);
    gates.get("k1")?.resolve();
    gates.get("k3")?.resolve();
    await flush();
    expect(probe.order).toEqual(["k1", "k2", "k3", "k4", "k5"]);
    expect(probe.total).toBe(2);
    gates.get("k4")?.resolve();
    gates.get("k5")?.resolve();
    await queue.whenIdle();
    expect(probe.maxTotal).toBe(2);
    expect(queue.size).toBe(0);
  });
});

describe("KeyedWorkQueue: retries", () => {
  it("retries a failing key with exponential backoff capped at maxBackoffMs", async () => {
    vi.useFakeTimers();
    const errors: { key: string; error: unknown; retryInMs: number }[] = [];
    let calls = 0;
    const boom = new Error("boom");
    const queue = newQueue(
      async () => {
        calls++;
        throw boom;
      },
      { onError: (key, error, retryInMs) => errors.push({ key, error, retryInMs }) },
    );
    queue.add("a");
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toBe(1);
    expect(errors).toEqual([{ key: "a", error: boom, retryInMs: 5 }]);

    // Each retry waits for the announced backoff, not a millisecond less.
    for (const [wait, expectedNext] of [
      [5, 10],
      [10, 20],
      [20, 20],
      [20, 20],
    ] as const) {
      const before = calls;
      await vi.advanceTimersByTimeAsync(wait - 1);
      expect(calls).toBe(before);
      await vi.advanceTimersByTimeAsync(1);
      expect(calls).toBe(before + 1);
      expect(errors.at(-1)?.retryInMs).toBe(expectedNext);
    }
    expect(errors.map((e) => e.retryInMs)).toEqual([5, 10, 20, 20, 20]);
  });

  it("resets the backoff after a success", async () => {
    vi.useFakeTimers();
    const retries: number[] = [];
    let calls = 0;
    const queue = newQueue(
      async () => {
        calls++;
        if (calls === 3) return undefined;
        throw new Error(`failure ${calls}`);
      },
      { onError: (_key, _error, retryInMs) => retries.push(retryInMs) },
    );
    queue.add("a");
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(5);
    await vi.advanceTimersByTimeAsync(10);
    expect(calls).toBe(3);
    expect(retries).toEqual([5, 10]);
    // Success: no retry is scheduled.
    await vi.advanceTimersByTimeAsync(100);
    expect(calls).toBe(3);
    queue.add("a");
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toBe(4);
    expect(retries).toEqual([5, 10, 5]);
  });

  it("keeps a failing key's backoff separate from other keys", async () => {
    vi.useFakeTimers();
    const retries: [string, number][] = [];
    const queue = newQueue(
      async (key) => {
        throw new Error(key);
      },
      { onError: (key, _error, retryInMs) => retries.push([key, retryInMs]) },
    );
    queue.add("a");
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(5);
    queue.add("b");
    await vi.advanceTimersByTimeAsync(0);
    expect(retries).toEqual([
      ["a", 5],
      ["a", 10],
      ["b", 5],
    ]);
  });
});

describe("KeyedWorkQueue: delayed work", () => {
  it("re-runs a key after the requeueAfterMs its handler asked for", async () => {
    vi.useFakeTimers();
    let calls = 0;
    const queue = newQueue(async () => {
      calls++;
      return calls === 1 ? { requeueAfterMs: 30 } : undefined;
    });
    queue.add("a");
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toBe(1);
    // A requeued (delayed) key does not count as pending work.
    await expect(queue.whenIdle()).resolves.toBeUndefined();
    await vi.advanceTimersByTimeAsync(29);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toBe(2);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(calls).toBe(2);
  });

  it("keeps the earliest timer when a key is added later twice", async () => {
    vi.useFakeTimers();
    let calls = 0;
    const queue = newQueue(async () => {
      calls++;
      return undefined;
    });
    queue.add("a", 100);
    queue.add("a", 10); // earlier: replaces the 100 ms timer
    queue.add("a", 50); // later than the pending 10 ms: ignored
    await vi.advanceTimersByTimeAsync(9);
    expect(calls).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(500);
    expect(calls).toBe(1);
  });

  it("runs delayed keys with real timers too", async () => {
    const probe = new Probe();
    const queue = newQueue(async (key) => {
      probe.enter(key);
      probe.leave(key);
      return undefined;
    });
    const start = Date.now();
    queue.add("a", 15);
    queue.add("a", 200);
    await vi.waitFor(() => expect(probe.count("a")).toBe(1), { timeout: 500, interval: 2 });
    expect(Date.now() - start).toBeLessThan(190);
  });
});

describe("KeyedWorkQueue: idle and stop", () => {
  it("whenIdle resolves at once when empty, and after all queued work otherwise", async () => {
    const probe = new Probe();
    const queue = newQueue(
      async (key) => {
        probe.enter(key);
        await sleep(3);
        probe.leave(key);
        return undefined;
      },
      { concurrency: 2 },
    );
    await expect(queue.whenIdle()).resolves.toBeUndefined();
    for (const key of ["a", "b", "c", "d", "e"]) queue.add(key);
    const waiters = [queue.whenIdle(), queue.whenIdle()];
    await Promise.all(waiters);
    expect(["a", "b", "c", "d", "e"].map((k) => probe.count(k))).toEqual([1, 1, 1, 1, 1]);
    expect(probe.total).toBe(0);
    expect(queue.size).toBe(0);
  });

  it("stop() drops queued, dirty and delayed keys and ignores later adds", async () => {
    const probe = new Probe();
    const gate = deferred();
    const queue = newQueue(
      async (key) => {
        probe.enter(key);
        if (key === "a") await gate.promise;
        probe.leave(key);
        return key === "a" ? { requeueAfterMs: 1 } : undefined;
      },
      { concurrency: 1 },
    );
    queue.add("a");
    queue.add("b"); // queued behind a
    queue.add("a"); // dirty: a is processing
    queue.add("c", 5); // delayed
    expect(probe.order).toEqual(["a"]);
    queue.stop();
    gate.resolve();
    await queue.whenIdle();
    queue.add("d");
    queue.add("e", 1);
    await sleep(30);
    expect(probe.order).toEqual(["a"]);
    expect(queue.size).toBe(0);
  });

  it("stop() also cancels a pending retry", async () => {
    vi.useFakeTimers();
    let calls = 0;
    const queue = newQueue(async () => {
      calls++;
      throw new Error("nope");
    });
    queue.add("a");
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toBe(1);
    queue.stop();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(calls).toBe(1);
  });
});
