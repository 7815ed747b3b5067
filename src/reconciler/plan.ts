import type { Action, DesiredApp, ObservedContainer, RoutedEndpoint } from "./plan-types.js";

const LIVE_STATES = new Set(["running", "restarting"]);

/**
 * Re-probe quickly right after a rollout starts (deploy latency is what users feel),
 * then back off so a slow-starting app does not cost much.
 */
export function probeInterval(desired: DesiredApp, now: number): number {
  const since = desired.rolloutStartedAt === null ? Number.POSITIVE_INFINITY : now - desired.rolloutStartedAt;
  if (since < 3_000) return 50;
  if (since < 15_000) return 250;
  return 1_000;
}

const toEndpoint = (c: ObservedContainer): RoutedEndpoint => ({
  containerId: c.id,
  port: c.hostPort as number,
  release: c.release,
});
const byCreated = (a: ObservedContainer, b: ObservedContainer) => a.createdAt.localeCompare(b.createdAt);
const isServable = (c: ObservedContainer) => c.healthy && c.state === "running" && c.hostPort !== null;

/** Why a rollout is stuck, in words: tells a crash loop from an app that listens elsewhere. */
function describeStates(wanted: ObservedContainer[], replicas: number): string {
  const counts = new Map<string, number>();
  const bump = (what: string, n = 1) => counts.set(what, (counts.get(what) ?? 0) + n);
  for (const c of wanted) {
    if (isServable(c)) continue;
    bump(c.state === "running" ? "running but unhealthy" : c.state);
  }
  if (replicas > wanted.length) bump("not started", replicas - wanted.length);
  return [...counts].map(([what, n]) => `${n} ${what}`).join(", ");
}

/**
 * Pure: compares desired with observed state and returns the steps that converge them.
 * Rolling update order: start new, wait for health, switch the router, drain old, stop old.
 * A release that never turns healthy is never switched to; it fails and the old one keeps serving.
 */
export function plan(desired: DesiredApp | null, observed: ObservedContainer[], now: number): Action[] {
  const actions: Action[] = [];
  const live: ObservedContainer[] = [];
  for (const c of observed) {
    if (LIVE_STATES.has(c.state)) live.push(c);
    else if (c.state !== "removing")
      actions.push({ type: "remove", id: c.id, reason: `container is ${c.state}` });
  }

  const target = desired?.release ?? null;
  if (!desired || !target) {
    if (live.length > 0 || desired?.servingRelease)
      actions.push({ type: "route", release: null, endpoints: [] });
    if (live.length > 0) actions.push({ type: "drain", ids: live.map((c) => c.id) });
    return actions;
  }

  // One container per slot of the target release; a duplicate (only possible by hand) goes.
  const bySlot = new Map<number, ObservedContainer>();
  for (const c of live.filter((c) => c.release === target.number).sort(byCreated)) {
    if (bySlot.has(c.slot))
      actions.push({ type: "remove", id: c.id, reason: "duplicate of another replica" });
    else bySlot.set(c.slot, c);
  }
  const wanted: ObservedContainer[] = [];
  const starts: Action[] = [];
  for (let slot = 0; slot < desired.replicas; slot++) {
    const c = bySlot.get(slot);
    if (c) wanted.push(c);
    else starts.push({ type: "start", release: target.number, slot });
  }
  const surplus = [...bySlot.values()].filter((c) => c.slot >= desired.replicas);
  const others = live.filter((c) => c.release !== target.number);
  const allReady = wanted.length === desired.replicas && wanted.every(isServable);
  const healthyWanted = wanted.filter(isServable).map(toEndpoint);

  if (desired.servingRelease === target.number) {
    actions.push(...starts);
    actions.push({ type: "route", release: target.number, endpoints: healthyWanted });
    const retire = [...surplus, ...others];
    if (retire.length > 0) actions.push({ type: "drain", ids: retire.map((c) => c.id) });
    if (desired.phase === "rolling-out" && allReady)
      actions.push({ type: "complete", release: target.number });
    if (!allReady) actions.push({ type: "requeue", afterMs: probeInterval(desired, now) });
    return actions;
  }

  if (allReady) {
    actions.push({ type: "route", release: target.number, endpoints: healthyWanted });
    const retire = [...others, ...surplus];
    if (retire.length > 0) actions.push({ type: "drain", ids: retire.map((c) => c.id) });
    actions.push({ type: "complete", release: target.number });
    return actions;
  }

  const deadline = (desired.rolloutStartedAt ?? now) + desired.healthTimeoutMs;
  // A release past its deadline gets no new containers: it is failed, not retried.
  if (now >= deadline) {
    const unhealthy = desired.replicas - healthyWanted.length;
    actions.push({
      type: "fail",
      release: target.number,
      reason: `${unhealthy} of ${desired.replicas} containers of release ${target.number} did not answer GET :${target.port}${target.healthPath} within ${Math.round(desired.healthTimeoutMs / 1000)}s (${describeStates(wanted, desired.replicas)})`,
    });
    for (const c of bySlot.values())
      actions.push({ type: "remove", id: c.id, reason: "release failed its health check" });
    return actions;
  }

  // Still waiting: the serving release keeps all the traffic.
  actions.push(...starts);
  const serving = others.filter((c) => c.release === desired.servingRelease && isServable(c)).map(toEndpoint);
  actions.push({ type: "route", release: desired.servingRelease, endpoints: serving });
  actions.push({ type: "requeue", afterMs: probeInterval(desired, now) });
  return actions;
}
