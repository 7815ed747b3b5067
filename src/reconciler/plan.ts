import type {
  Action,
  DesiredApp,
  DesiredCanary,
  DesiredRelease,
  ObservedContainer,
  RoutedEndpoint,
} from "./plan-types.js";

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
  /** The live replicas the release keeps (at most its count), in the engine's order. */
  wanted: ObservedContainer[];
  /** Live ones beyond the count: unrouted, drained, then shrunk away. */
  surplus: ObservedContainer[];
  /** What converges it (start missing or ended replicas, fix links); null: nothing to do. */
  apply: Action | null;
  allReady: boolean;
  healthy: RoutedEndpoint[];
}

const sameIds = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * A release's replicas against its count: the first `replicas` live ones in the engine's order
 * are kept, the rest are surplus. It needs an apply when one is missing, one ended (the engine
 * replaces it), or one is not on exactly its links.
 */
function track(
  observed: ObservedContainer[],
  release: DesiredRelease,
  replicas: number,
  links: DesiredApp["links"],
): Track {
  const mine = observed.filter((c) => c.release === release.number && c.state !== "removing");
  const live = mine.filter((c) => LIVE_STATES.has(c.state));
  const wanted = live.slice(0, replicas);
  const surplus = live.slice(replicas);
  // A replica on the host network (an admin's exception) can join no other network.
  const linkIds = release.resources.hostNetwork ? [] : links.map((l) => l.link).sort((a, b) => a - b);
  const relink = !release.resources.hostNetwork && wanted.some((c) => !sameIds(c.links, linkIds));
  const ended = mine.length > live.length;
  const missing = replicas - wanted.length;
  return {
    wanted,
    surplus,
    // With a surplus still routed, the apply keeps it (live count) until the drain shrinks it.
    apply:
      missing > 0 || ended || relink
        ? {
            type: "apply",
            release: release.number,
            replicas: Math.max(replicas, live.length),
            starting: missing,
          }
        : null,
    allReady: wanted.length === replicas && wanted.every(isServable),
    healthy: wanted.filter(isServable).map(toEndpoint),
  };
}

const releasesOf = (cs: readonly ObservedContainer[]) =>
  [...new Set(cs.map((c) => c.release))].sort((a, b) => a - b);

/**
 * A canary beside a steady serving release: it gets no traffic until every replica is healthy,
 * is failed (and removed) if that takes longer than its health timeout, and once running keeps
 * its replicas and routes its healthy ones. Returns the canary endpoints to route.
 */
function planCanary(
  canary: DesiredCanary,
  observed: ObservedContainer[],
  links: DesiredApp["links"],
  actions: Action[],
  now: number,
): { endpoints: RoutedEndpoint[]; surplus: ObservedContainer[]; settled: boolean } {
  const release = canary.release.number;
  const t = track(observed, canary.release, canary.replicas, links);
  if (canary.phase !== "starting") {
    if (t.apply) actions.push(t.apply);
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
    actions.push({ type: "retire", release, reason: "canary failed its health check" });
    return { endpoints: [], surplus: [], settled: true };
  }
  if (t.apply) actions.push(t.apply);
  return { endpoints: [], surplus: t.surplus, settled: false };
}

/**
 * What retires whole releases and shrinks the surplus of kept ones: a release with a live
 * replica may still have requests in flight, so it is drained first; one whose replicas all
 * ended is retired at once.
 */
function drain(
  observed: readonly ObservedContainer[],
  retire: number[],
  shrink: { release: number; replicas: number; surplus: ObservedContainer[] }[],
): Action[] {
  const going = observed.filter((c) => retire.includes(c.release) && c.state !== "removing");
  const draining = releasesOf(going.filter((c) => LIVE_STATES.has(c.state)));
  const ended = releasesOf(going).filter((r) => !draining.includes(r));
  const actions: Action[] = ended.map((release) => ({
    type: "retire",
    release,
    reason: "its replicas ended",
  }));
  const cut = shrink.filter((s) => s.surplus.length > 0);
  if (draining.length === 0 && cut.length === 0) return actions;
  actions.push({
    type: "drain",
    ids: [
      ...going.filter((c) => draining.includes(c.release) && LIVE_STATES.has(c.state)),
      ...cut.flatMap((s) => s.surplus),
    ].map((c) => c.id),
    retire: draining,
    shrink: cut.map((s) => ({ release: s.release, replicas: s.replicas })),
  });
  return actions;
}

/**
 * Pure: compares desired with observed state and returns the steps that converge them.
 * Rolling update order: start new, wait for health, switch the router, drain old, retire old.
 * A release that never turns healthy is never switched to; it fails and the old one keeps serving.
 * A canary runs beside the serving release (see planCanary); promoting it is a rolling update
 * to its release during which its rules keep sending their share to it.
 */
export function plan(desired: DesiredApp | null, observed: ObservedContainer[], now: number): Action[] {
  const actions: Action[] = [];
  let seen = observed.filter((c) => c.state !== "removing");

  // A serving replica that stayed unhealthy is replaced: removed now, so the release's apply
  // below starts a successor. It gets no traffic meanwhile (only healthy replicas are routed).
  const after = desired?.replaceUnhealthyAfterMs;
  if (desired?.release && after !== undefined && desired.servingRelease === desired.release.number) {
    const serving = desired.release.number;
    for (const c of [...seen]) {
      const since = c.unhealthySince ?? null;
      if (
        c.release !== serving ||
        c.state !== "running" ||
        c.healthy ||
        since === null ||
        now - since < after
      )
        continue;
      seen = seen.filter((x) => x !== c);
      actions.push({
        type: "remove",
        id: c.id,
        reason: `it failed its health check for ${Math.round((now - since) / 1000)}s while serving; a new replica replaces it`,
      });
    }
  }

  const target = desired?.release ?? null;
  if (!desired || !target) {
    const live = seen.filter((c) => LIVE_STATES.has(c.state));
    if (live.length > 0 || desired?.servingRelease)
      actions.push({ type: "route", release: null, endpoints: [] });
    actions.push(...drain(seen, releasesOf(seen), []));
    return actions;
  }

  const links = desired.links;
  const main = track(seen, target, desired.replicas, links);
  const steady = desired.servingRelease === target.number;
  const canary =
    steady && desired.canary && desired.canary.release.number !== target.number ? desired.canary : null;
  const promoting = desired.canary?.phase === "promoting" && desired.canary.release.number === target.number;
  const others = seen.filter(
    (c) => c.release !== target.number && (!canary || c.release !== canary.release.number),
  );
  const mainShrink = { release: target.number, replicas: desired.replicas, surplus: main.surplus };

  if (steady) {
    if (main.apply) actions.push(main.apply);
    const side = canary ? planCanary(canary, seen, links, actions, now) : null;
    actions.push({
      type: "route",
      release: target.number,
      endpoints: [...main.healthy, ...(side?.endpoints ?? [])],
    });
    const shrink = [mainShrink];
    if (canary && side)
      shrink.push({ release: canary.release.number, replicas: canary.replicas, surplus: side.surplus });
    actions.push(...drain(seen, releasesOf(others), shrink));
    if (desired.phase === "rolling-out" && main.allReady)
      actions.push({ type: "complete", release: target.number });
    if (!main.allReady || (side && !side.settled))
      actions.push({ type: "requeue", afterMs: probeInterval(desired, now) });
    return actions;
  }

  // stop-first: the old release goes before the new one starts, so two never run at once. The
  // engine stops it when applying the new release; it is unrouted first.
  if (desired.strategy === "stop-first" && main.apply && others.length > 0) {
    actions.push({ type: "route", release: null, endpoints: [] });
    actions.push(main.apply);
    actions.push({ type: "requeue", afterMs: probeInterval(desired, now) });
    return actions;
  }

  if (main.allReady) {
    actions.push({ type: "route", release: target.number, endpoints: main.healthy });
    actions.push(...drain(seen, releasesOf(others), [mainShrink]));
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
    if (main.wanted.length + main.surplus.length > 0 || seen.some((c) => c.release === target.number))
      actions.push({ type: "retire", release: target.number, reason: "release failed its health check" });
    return actions;
  }

  // Still waiting: the serving release keeps its traffic, and a promoting canary keeps its share.
  if (main.apply) actions.push(main.apply);
  const serving = others.filter((c) => c.release === desired.servingRelease && isServable(c)).map(toEndpoint);
  const kept = promoting ? main.healthy : [];
  actions.push({ type: "route", release: desired.servingRelease, endpoints: [...serving, ...kept] });
  actions.push({ type: "requeue", afterMs: probeInterval(desired, now) });
  return actions;
}
