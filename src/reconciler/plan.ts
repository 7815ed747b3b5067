import { isLinkNetwork } from "../domain/environment.js";
import type { Action, DesiredApp, DesiredCanary, ObservedContainer, RoutedEndpoint } from "./plan-types.js";

// pending: a cluster is still placing it, and would only place it again if it were removed.
const LIVE_STATES = new Set(["running", "restarting", "pending"]);

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
  address: c.address as string,
  port: c.port as number,
  release: c.release,
});
const byCreated = (a: ObservedContainer, b: ObservedContainer) => a.createdAt.localeCompare(b.createdAt);
const isServable = (c: ObservedContainer) =>
  c.healthy && c.state === "running" && c.address !== null && c.port !== null;

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

interface Track {
  wanted: ObservedContainer[];
  starts: Action[];
  surplus: ObservedContainer[];
  allReady: boolean;
  healthy: RoutedEndpoint[];
}

/** One container per slot of `release`; a duplicate (only possible by hand) goes. */
function track(live: ObservedContainer[], release: number, replicas: number, actions: Action[]): Track {
  const bySlot = new Map<number, ObservedContainer>();
  for (const c of live.filter((c) => c.release === release).sort(byCreated)) {
    if (bySlot.has(c.slot))
      actions.push({ type: "remove", id: c.id, reason: "duplicate of another replica" });
    else bySlot.set(c.slot, c);
  }
  const wanted: ObservedContainer[] = [];
  const starts: Action[] = [];
  for (let slot = 0; slot < replicas; slot++) {
    const c = bySlot.get(slot);
    if (c) wanted.push(c);
    else starts.push({ type: "start", release, slot });
  }
  return {
    wanted,
    starts,
    surplus: [...bySlot.values()].filter((c) => c.slot >= replicas),
    allReady: wanted.length === replicas && wanted.every(isServable),
    healthy: wanted.filter(isServable).map(toEndpoint),
  };
}

/**
 * A canary beside a steady serving release: it gets no traffic until every replica is healthy,
 * is failed (and removed) if that takes longer than its health timeout, and once running keeps
 * its replicas and routes its healthy ones. Returns the canary endpoints to route.
 */
function planCanary(
  canary: DesiredCanary,
  live: ObservedContainer[],
  actions: Action[],
  now: number,
): { endpoints: RoutedEndpoint[]; surplus: ObservedContainer[]; settled: boolean } {
  const release = canary.release.number;
  const t = track(live, release, canary.replicas, actions);
  if (canary.phase !== "starting") {
    actions.push(...t.starts);
    return { endpoints: t.healthy, surplus: t.surplus, settled: t.allReady };
  }
  if (t.allReady) {
    actions.push({ type: "canary-ready", canaryId: canary.id, release });
    return { endpoints: t.healthy, surplus: t.surplus, settled: true };
  }
  if (now >= canary.startedAt + canary.healthTimeoutMs) {
    const unhealthy = canary.replicas - t.healthy.length;
    actions.push({
      type: "canary-fail",
      canaryId: canary.id,
      release,
      reason: `${unhealthy} of ${canary.replicas} containers of canary release ${release} did not answer GET :${canary.release.port}${canary.release.healthPath} within ${Math.round(canary.healthTimeoutMs / 1000)}s (${describeStates(t.wanted, canary.replicas)})`,
    });
    for (const c of [...t.wanted, ...t.surplus])
      actions.push({ type: "remove", id: c.id, reason: "canary failed its health check" });
    return { endpoints: [], surplus: [], settled: true };
  }
  actions.push(...t.starts);
  return { endpoints: [], surplus: t.surplus, settled: false };
}

/** Links come and go under running containers: each joins the link networks it should, and leaves the rest. */
export function planLinks(links: DesiredApp["links"], live: ObservedContainer[]): Action[] {
  const out: Action[] = [];
  const wanted = new Set(links.map((l) => l.network));
  for (const c of live) {
    // A container on the host network (an admin's exception) can join no other network.
    if (c.networks.includes("host")) continue;
    for (const l of links)
      if (!c.networks.includes(l.network))
        out.push({ type: "connect", id: c.id, network: l.network, aliases: l.aliases });
    for (const n of c.networks)
      if (isLinkNetwork(n) && !wanted.has(n)) out.push({ type: "disconnect", id: c.id, network: n });
  }
  return out;
}

/**
 * Pure: compares desired with observed state and returns the steps that converge them.
 * Rolling update order: start new, wait for health, switch the router, drain old, stop old.
 * A release that never turns healthy is never switched to; it fails and the old one keeps serving.
 * A canary runs beside the serving release (see planCanary); promoting it is a rolling update
 * to its release during which its rules keep sending their share to it.
 */
export function plan(desired: DesiredApp | null, observed: ObservedContainer[], now: number): Action[] {
  const actions: Action[] = [];
  const live: ObservedContainer[] = [];
  for (const c of observed) {
    if (LIVE_STATES.has(c.state)) live.push(c);
    else if (c.state !== "removing")
      actions.push({ type: "remove", id: c.id, reason: `container is ${c.state}` });
  }

  // A serving replica that stayed unhealthy is replaced: removed now, so its slot starts afresh
  // below. It gets no traffic meanwhile (only healthy replicas are routed).
  const after = desired?.replaceUnhealthyAfterMs;
  if (desired?.release && after !== undefined && desired.servingRelease === desired.release.number) {
    const serving = desired.release.number;
    for (const c of [...live]) {
      const since = c.unhealthySince ?? null;
      if (
        c.release !== serving ||
        c.state !== "running" ||
        c.healthy ||
        since === null ||
        now - since < after
      )
        continue;
      live.splice(live.indexOf(c), 1);
      actions.push({
        type: "remove",
        id: c.id,
        reason: `it failed its health check for ${Math.round((now - since) / 1000)}s while serving; a new replica replaces it`,
      });
    }
  }

  if (desired) actions.push(...planLinks(desired.links, live));
  const target = desired?.release ?? null;
  if (!desired || !target) {
    if (live.length > 0 || desired?.servingRelease)
      actions.push({ type: "route", release: null, endpoints: [] });
    if (live.length > 0) actions.push({ type: "drain", ids: live.map((c) => c.id) });
    return actions;
  }

  const main = track(live, target.number, desired.replicas, actions);
  const steady = desired.servingRelease === target.number;
  const canary =
    steady && desired.canary && desired.canary.release.number !== target.number ? desired.canary : null;
  const promoting = desired.canary?.phase === "promoting" && desired.canary.release.number === target.number;
  const others = live.filter(
    (c) => c.release !== target.number && (!canary || c.release !== canary.release.number),
  );

  if (steady) {
    actions.push(...main.starts);
    const side = canary ? planCanary(canary, live, actions, now) : null;
    actions.push({
      type: "route",
      release: target.number,
      endpoints: [...main.healthy, ...(side?.endpoints ?? [])],
    });
    const retire = [...main.surplus, ...(side?.surplus ?? []), ...others];
    if (retire.length > 0) actions.push({ type: "drain", ids: retire.map((c) => c.id) });
    if (desired.phase === "rolling-out" && main.allReady)
      actions.push({ type: "complete", release: target.number });
    if (!main.allReady || (side && !side.settled))
      actions.push({ type: "requeue", afterMs: probeInterval(desired, now) });
    return actions;
  }

  if (main.allReady) {
    actions.push({ type: "route", release: target.number, endpoints: main.healthy });
    const retire = [...others, ...main.surplus];
    if (retire.length > 0) actions.push({ type: "drain", ids: retire.map((c) => c.id) });
    actions.push({ type: "complete", release: target.number });
    return actions;
  }

  const deadline = (desired.rolloutStartedAt ?? now) + desired.healthTimeoutMs;
  // A release past its deadline gets no new containers: it is failed, not retried.
  if (now >= deadline) {
    const unhealthy = desired.replicas - main.healthy.length;
    actions.push({
      type: "fail",
      release: target.number,
      reason: `${unhealthy} of ${desired.replicas} containers of release ${target.number} did not answer GET :${target.port}${target.healthPath} within ${Math.round(desired.healthTimeoutMs / 1000)}s (${describeStates(main.wanted, desired.replicas)})`,
    });
    for (const c of [...main.wanted, ...main.surplus])
      actions.push({ type: "remove", id: c.id, reason: "release failed its health check" });
    return actions;
  }

  // Still waiting: the serving release keeps its traffic, and a promoting canary keeps its share.
  actions.push(...main.starts);
  const serving = others.filter((c) => c.release === desired.servingRelease && isServable(c)).map(toEndpoint);
  const kept = promoting ? main.healthy : [];
  actions.push({ type: "route", release: desired.servingRelease, endpoints: [...serving, ...kept] });
  actions.push({ type: "requeue", afterMs: probeInterval(desired, now) });
  return actions;
}
