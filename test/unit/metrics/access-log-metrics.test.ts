import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AccessLogMetrics, type AccessLogMetricsOptions } from "../../../src/metrics/access-log-metrics.js";

const T0 = 1_764_300_000_000;
const APP = "acme/prod/web";
const now = () => T0 + 60_000;

let dir: string;
let path: string;
const opened: AccessLogMetrics[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "berth-metrics-"));
  path = join(dir, "access.log");
});

afterEach(async () => {
  for (const m of opened.splice(0)) await m.close().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

function metrics(options: Partial<AccessLogMetricsOptions> = {}): AccessLogMetrics {
  const m = new AccessLogMetrics({ path, now, onError: () => undefined, ...options });
  opened.push(m);
  return m;
}

function line(i: number, release = 2, status = 200): string {
  const at = ((T0 + i) / 1000).toFixed(3);
  return [
    at,
    APP,
    release,
    "weight",
    status,
    "0.015",
    "0.014",
    "10.0.0.1",
    "web.example.com",
    `"GET /${i} HTTP/1.1"`,
  ]
    .join("\t")
    .concat("\n");
}

/**
 * Writes like nginx with two workers: on reopen the master creates a new file at the path; one
 * worker switches to it at once, the other goes on appending to the old file for three more polls,
 * that is past the poll in which the tailer moves to the new file.
 */
class SimulatedNginx {
  private fd: number;
  private lagging: number | null = null;
  private pollsSinceReopen = 0;
  private turn = 0;
  reopens = 0;

  constructor(readonly path: string) {
    this.fd = openSync(path, "a");
  }

  write(text: string): void {
    this.turn++;
    writeSync(this.lagging !== null && this.turn % 2 === 0 ? this.lagging : this.fd, text);
  }

  readonly reopen = async (): Promise<void> => {
    this.reopens++;
    this.catchUp();
    this.lagging = this.fd;
    this.fd = openSync(this.path, "a");
    this.pollsSinceReopen = 0;
  };

  /** Called after each poll: the lagging worker reopens after the third one. */
  polled(): void {
    if (++this.pollsSinceReopen >= 3) this.catchUp();
  }

  close(): void {
    this.catchUp();
    closeSync(this.fd);
  }

  private catchUp(): void {
    if (this.lagging !== null) closeSync(this.lagging);
    this.lagging = null;
  }
}

describe("AccessLogMetrics", () => {
  it("answers stats with the lines written up to the call, counting malformed ones apart", async () => {
    const nginx = new SimulatedNginx(path);
    const m = metrics();
    await m.poll();
    nginx.write(line(0) + line(100, 2, 502) + line(200, 3) + "garbage\n");
    const w = await m.stats(APP, 2, T0, T0 + 1000);
    expect(w).toMatchObject({ requests: 2, errors5xx: 1, errorRate: 0.5, rps: 2 });
    expect(await m.releasesOf(APP, T0, T0 + 1000)).toEqual([2, 3]);
    expect(m.malformedLines).toBe(1);
    nginx.close();
  });

  it("starts at the end of the existing log", async () => {
    const nginx = new SimulatedNginx(path);
    nginx.write(line(0));
    const m = metrics();
    await m.poll();
    nginx.write(line(1));
    expect((await m.stats(APP, 2, T0, T0 + 1000)).requests).toBe(1);
    nginx.close();
  });

  it("prunes with its clock", async () => {
    const nginx = new SimulatedNginx(path);
    let clock = T0;
    const m = metrics({ now: () => clock, retainMs: 30_000 });
    await m.poll();
    nginx.write(line(0));
    expect((await m.stats(APP, 2, T0, T0 + 1000)).requests).toBe(1);
    clock = T0 + 60_000;
    expect((await m.stats(APP, 2, T0, T0 + 1000)).requests).toBe(0);
    nginx.close();
  });

  it("rotates past maxBytes through reopen and loses no line, also from a worker that reopens late", async () => {
    const nginx = new SimulatedNginx(path);
    const m = metrics({ maxBytes: 2000, reopen: nginx.reopen });
    await m.poll();
    let written = 0;
    for (let round = 0; round < 15; round++) {
      for (let i = 0; i < 10; i++) nginx.write(line(written++));
      await m.poll();
      nginx.polled();
    }
    expect(nginx.reopens).toBeGreaterThanOrEqual(3);
    expect(statSync(path).size).toBeLessThanOrEqual(2000 + 10 * line(0).length);
    // .1 holds one rotation's worth (plus the lagging worker's lines), not every rotation so far.
    expect(readFileSync(`${path}.1`, "utf8").split("\n").length).toBeLessThan(50);
    const w = await m.stats(APP, 2, T0, T0 + 60_000);
    expect(w.requests).toBe(written);
    expect(m.malformedLines).toBe(0);
    nginx.close();
  });

  it("does not rotate without a reopen callback", async () => {
    const nginx = new SimulatedNginx(path);
    const m = metrics({ maxBytes: 100 });
    await m.poll();
    nginx.write(line(0) + line(1));
    await m.poll();
    expect(existsSync(`${path}.1`)).toBe(false);
    expect((await m.stats(APP, 2, T0, T0 + 1000)).requests).toBe(2);
    nginx.close();
  });

  it("reports a failed reopen, still answers, and asks again on the next poll", async () => {
    const nginx = new SimulatedNginx(path);
    const errors: unknown[] = [];
    let fail = true;
    const reopen = async () => {
      if (fail) throw new Error("USR1 failed");
      await nginx.reopen();
    };
    const m = metrics({ maxBytes: 100, reopen, onError: (e) => errors.push(e) });
    await m.poll();
    nginx.write(line(0) + line(1));
    expect((await m.stats(APP, 2, T0, T0 + 1000)).requests).toBe(2);
    expect(errors).toEqual([new Error("USR1 failed")]);
    expect(existsSync(path)).toBe(false);

    nginx.write(line(2)); // nginx still writes to the renamed file
    fail = false;
    expect((await m.stats(APP, 2, T0, T0 + 1000)).requests).toBe(3);
    expect(nginx.reopens).toBe(1);
    nginx.write(line(3));
    expect((await m.stats(APP, 2, T0, T0 + 1000)).requests).toBe(4);
    nginx.close();
  });

  it("polls on a timer until stopped", async () => {
    const nginx = new SimulatedNginx(path);
    const m = metrics();
    await m.poll();
    m.start(10);
    nginx.write(line(0));
    await vi.waitFor(() => expect(m.metrics.window(APP, 2, T0, T0 + 1000).requests).toBe(1), {
      timeout: 2000,
    });
    m.stop();
    await new Promise((r) => setTimeout(r, 30)); // let a tick that was already running finish
    nginx.write(line(1));
    await new Promise((r) => setTimeout(r, 100));
    expect(m.metrics.window(APP, 2, T0, T0 + 1000).requests).toBe(1);
    nginx.close();
  });

  it("hands errors of timer polls to onError instead of throwing", async () => {
    const errors: unknown[] = [];
    const m = metrics({ path: dir, onError: (e) => errors.push(e) }); // a directory cannot be read as a log
    m.start(10);
    await vi.waitFor(() => expect(errors.length).toBeGreaterThanOrEqual(2), { timeout: 2000 });
    m.stop();
    expect(errors[0]).toMatchObject({ code: "EISDIR" });
    await expect(m.poll()).rejects.toMatchObject({ code: "EISDIR" });
  });
});
