import { describe, expect, it } from "vitest";
import type { Workload } from "../../../src/engines/engine.js";
import { StuckTasks } from "../../../src/engines/swarm/stuck-tasks.js";

const task = (id: string, state: Workload["state"], detail: string | null): Workload => ({
  id,
  name: id,
  identity: { tenant: "t", env: "e", app: "a" },
  release: 1,
  slot: 0,
  state,
  hostPort: null,
  address: null,
  publishedPort: null,
  node: null,
  detail,
  links: [],
  ready: null,
  createdAt: "2026-12-02T00:00:00.000Z",
});

describe("StuckTasks", () => {
  const waiting = task("t1", "pending", "no suitable node (max replicas per node limit exceed)");

  it("names a task only once it has waited for a node for the whole grace period", () => {
    const stuck = new StuckTasks(5000);
    expect(stuck.update([waiting], 0)).toEqual([]);
    expect(stuck.update([waiting], 4999)).toEqual([]);
    expect(stuck.update([waiting], 5000)).toEqual(["t1"]);
    // Still waiting (no node has room): asked about again a grace period later, not every poll.
    expect(stuck.update([waiting], 6000)).toEqual([]);
    expect(stuck.update([waiting], 10_000)).toEqual(["t1"]);
  });

  it("ignores tasks that wait for anything but a node, and running ones", () => {
    const stuck = new StuckTasks(0);
    const preparing = task("t2", "pending", "preparing");
    const running = task("t3", "running", null);
    expect(stuck.update([preparing, running], 0)).toEqual([]);
    expect(stuck.update([preparing, running], 10_000)).toEqual([]);
  });

  it("starts the clock again for a task that was placed in between", () => {
    const stuck = new StuckTasks(5000);
    stuck.update([waiting], 0);
    stuck.update([], 3000);
    expect(stuck.update([waiting], 6000)).toEqual([]);
    expect(stuck.update([waiting], 11_000)).toEqual(["t1"]);
  });
});
