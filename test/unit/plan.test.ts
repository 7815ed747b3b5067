import { describe, expect, it } from "vitest";
import { NO_PLACEMENT } from "../../src/domain/placement.js";
import { plan, probeInterval } from "../../src/reconciler/plan.js";
import type {
  Action,
  DesiredApp,
  DesiredCanary,
  DesiredRelease,
  ObservedContainer,
  RoutedEndpoint,
} from "../../src/reconciler/plan-types.js";

const NOW = Date.parse("2025-01-01T12:00:00.000Z");
const TIMEOUT_MS = 60_000;

const release = (number: number): DesiredRelease => ({
  number,
  imageId: `sha256:${String(number).repeat(64).slice(0, 64)}`,
  port: 8080,
  healthPath: "/healthz",
  healthCheck: "http",
  env: {},
  files: [],
  resources: {
    cpus: null,
    memoryMb: null,
    port: 8080,
    healthCheck: "http",
    healthPath: "/healthz",
    healthTimeout: 60,
    restart: "unless-stopped",
    placement: NO_PLACEMENT,
    command: null,
    volumes: [],
    privileged: false,
    hostNetwork: false,
    hostPid: false,
    capAdd: [],
    devices: [],
    hostMounts: [],
  },
});

function desired(overrides: Partial<DesiredApp> = {}): DesiredApp {
  return {
    identity: { tenant: "acme", env: "prod", app: "web" },
    release: release(1),
    replicas: 2,
    servingRelease: null,
    phase: "rolling-out",
    rolloutStartedAt: NOW - 1_000,
    healthTimeoutMs: TIMEOUT_MS,
    canary: null,
    links: [],
    ...overrides,
  };
}

/** A serving app at `number` (steady state, no rollout in progress). */
const serving = (number: number, overrides: Partial<DesiredApp> = {}) =>
  desired({
    release: release(number),
    servingRelease: number,
    phase: "serving",
    rolloutStartedAt: null,
    ...overrides,
  });

/** A rollout from `from` (serving) to `to`, started `startedMsAgo` before NOW. */
const rollout = (
  from: number | null,
  to: number,
  startedMsAgo = 1_000,
  overrides: Partial<DesiredApp> = {},
) =>
  desired({
    release: release(to),
    servingRelease: from,
    phase: "rolling-out",
    rolloutStartedAt: NOW - startedMsAgo,
    ...overrides,
  });

function container(rel: number, slot: number, overrides: Partial<ObservedContainer> = {}): ObservedContainer {
  return {
    id: `r${rel}-s${slot}`,
    release: rel,
    slot,
    state: "running",
    address: `172.18.${rel}.${slot + 2}`,
    port: 8080,
    healthy: true,
    links: [],
    createdAt: "2025-01-01T11:00:00.000Z",
    ...overrides,
  };
}

const endpoint = (c: ObservedContainer): RoutedEndpoint => ({
  containerId: c.id,
  address: c.address as string,
  port: c.port as number,
  release: c.release,
});

type ActionOf<T extends Action["type"]> = Extract<Action, { type: T }>;
const ofType = <T extends Action["type"]>(actions: Action[], type: T): ActionOf<T>[] =>
  actions.filter((a): a is ActionOf<T> => a.type === type);
const types = (actions: Action[]) => actions.map((a) => a.type);

function single<T extends Action["type"]>(actions: Action[], type: T): ActionOf<T> {
  const found = ofType(actions, type);
  expect(found, `exactly one ${type} in ${JSON.stringify(actions)}`).toHaveLength(1);
  return found[0] as ActionOf<T>;
}

describe("plan: first deploy", () => {
  it("starts every replica, routes to nothing yet and requeues", () => {
    const actions = plan(rollout(null, 1, 0, { replicas: 3 }), [], NOW);
    expect(actions).toEqual([
      { type: "apply", release: 1, replicas: 3, starting: 3 },
      { type: "route", release: null, endpoints: [] },
      { type: "requeue", afterMs: 50 },
    ]);
  });

  it("keeps waiting (no new starts) while the new containers are still starting", () => {
    const observed = [container(1, 0, { healthy: false }), container(1, 1, { healthy: false })];
    const actions = plan(rollout(null, 1), observed, NOW);
    expect(actions).toEqual([
      { type: "route", release: null, endpoints: [] },
      { type: "requeue", afterMs: 50 },
    ]);
  });

  it("switches the route to the new release once all are healthy, then completes", () => {
    const observed = [container(1, 0), container(1, 1)];
    const actions = plan(rollout(null, 1), observed, NOW);
    expect(actions).toEqual([
      { type: "route", release: 1, endpoints: observed.map(endpoint) },
      { type: "complete", release: 1 },
    ]);
  });

  it("does not switch while only some of the new containers are healthy", () => {
    const observed = [container(1, 0), container(1, 1, { healthy: false })];
    const actions = plan(rollout(null, 1), observed, NOW);
    expect(single(actions, "route")).toEqual({ type: "route", release: null, endpoints: [] });
    expect(ofType(actions, "complete")).toEqual([]);
    expect(ofType(actions, "requeue")).toHaveLength(1);
  });
});

describe("plan: rolling update", () => {
  const old = [container(1, 0), container(1, 1)];

  it("orders the switch: route to the new release, drain exactly the old ones, complete last", () => {
    const fresh = [container(2, 0), container(2, 1)];
    const actions = plan(rollout(1, 2), [...old, ...fresh], NOW);
    expect(types(actions)).toEqual(["route", "drain", "complete"]);
    expect(actions[0]).toEqual({ type: "route", release: 2, endpoints: fresh.map(endpoint) });
    const drain = single(actions, "drain");
    expect([...drain.ids].sort()).toEqual(old.map((c) => c.id).sort());
    expect(drain).toMatchObject({ retire: [1], shrink: [] });
    expect(actions.at(-1)).toEqual({ type: "complete", release: 2 });
  });

  it("also drains leftovers of releases other than the serving one", () => {
    const leftover = container(7, 0, { state: "restarting", healthy: false });
    const fresh = [container(2, 0), container(2, 1)];
    const actions = plan(rollout(1, 2), [leftover, ...old, ...fresh], NOW);
    expect([...single(actions, "drain").ids].sort()).toEqual(["r1-s0", "r1-s1", "r7-s0"]);
    expect(single(actions, "drain").retire).toEqual([1, 7]);
  });

  it("on the switch also drains surplus replicas of the new release (scaled down mid-rollout)", () => {
    const fresh = [container(2, 0), container(2, 1)];
    const actions = plan(rollout(1, 2, 1_000, { replicas: 1 }), [...old, ...fresh], NOW);
    expect(single(actions, "route")).toEqual({
      type: "route",
      release: 2,
      endpoints: [endpoint(container(2, 0))],
    });
    expect([...single(actions, "drain").ids].sort()).toEqual(["r1-s0", "r1-s1", "r2-s1"]);
    expect(single(actions, "drain")).toMatchObject({ retire: [1], shrink: [{ release: 2, replicas: 1 }] });
    expect(actions.at(-1)).toEqual({ type: "complete", release: 2 });
  });

  it("while waiting, routes only the serving release, never healthy leftovers of others", () => {
    const leftover = container(7, 0);
    const fresh = [container(2, 0, { healthy: false }), container(2, 1, { healthy: false })];
    const actions = plan(rollout(1, 2), [leftover, ...old, ...fresh], NOW);
    expect(single(actions, "route")).toEqual({ type: "route", release: 1, endpoints: old.map(endpoint) });
  });

  it("starts the new release alongside the old one and keeps routing to the old", () => {
    const actions = plan(rollout(1, 2), old, NOW);
    expect(actions).toEqual([
      { type: "apply", release: 2, replicas: 2, starting: 2 },
      { type: "route", release: 1, endpoints: old.map(endpoint) },
      { type: "requeue", afterMs: 50 },
    ]);
  });

  it("keeps all traffic on the old release while the new one is not yet healthy", () => {
    const fresh = [container(2, 0), container(2, 1, { healthy: false })];
    const actions = plan(rollout(1, 2, TIMEOUT_MS - 1), [...old, ...fresh], NOW);
    expect(single(actions, "route")).toEqual({ type: "route", release: 1, endpoints: old.map(endpoint) });
    expect(ofType(actions, "drain")).toEqual([]);
    expect(ofType(actions, "complete")).toEqual([]);
    expect(ofType(actions, "fail")).toEqual([]);
    expect(ofType(actions, "remove")).toEqual([]);
    expect(ofType(actions, "retire")).toEqual([]);
    expect(ofType(actions, "apply")).toEqual([]);
    expect(single(actions, "requeue").afterMs).toBeGreaterThan(0);
  });

  it("only routes servable old containers while waiting", () => {
    const oldMixed = [container(1, 0), container(1, 1, { healthy: false })];
    const fresh = [container(2, 0, { healthy: false }), container(2, 1, { healthy: false })];
    const actions = plan(rollout(1, 2), [...oldMixed, ...fresh], NOW);
    expect(single(actions, "route")).toEqual({
      type: "route",
      release: 1,
      endpoints: [endpoint(container(1, 0))],
    });
  });

  it("fails a release that missed the health deadline, removes it, and never switches to it", () => {
    const fresh = [container(2, 0), container(2, 1, { healthy: false })];
    const actions = plan(rollout(1, 2, TIMEOUT_MS), [...old, ...fresh], NOW);
    expect(ofType(actions, "route")).toEqual([]);
    expect(ofType(actions, "drain")).toEqual([]);
    expect(ofType(actions, "complete")).toEqual([]);
    expect(ofType(actions, "requeue")).toEqual([]);
    const fail = single(actions, "fail");
    expect(fail.release).toBe(2);
    expect(fail.reason).toContain("/healthz");
    expect(fail.reason).toContain("60s");
    expect(fail.reason).toContain("1 of 2");
    expect(fail.reason).toContain("release 2");
    expect(ofType(actions, "retire")).toEqual([
      { type: "retire", release: 2, reason: "release failed its health check" },
    ]);
    // The old release is untouched.
    expect(ofType(actions, "remove")).toEqual([]);
  });

  it("fails exactly at the deadline, not a millisecond before", () => {
    const fresh = [container(2, 0, { healthy: false }), container(2, 1, { healthy: false })];
    const before = plan(rollout(1, 2, TIMEOUT_MS - 1), [...old, ...fresh], NOW);
    expect(ofType(before, "fail")).toEqual([]);
    const at = plan(rollout(1, 2, TIMEOUT_MS), [...old, ...fresh], NOW);
    expect(single(at, "fail").reason).toContain("2 of 2");
  });

  it("fails a first deploy that never turns healthy, with nothing to switch", () => {
    const fresh = [container(1, 0, { healthy: false })];
    const actions = plan(rollout(null, 1, 120_000, { replicas: 1, healthTimeoutMs: 90_000 }), fresh, NOW);
    expect(actions).toEqual([
      {
        type: "fail",
        release: 1,
        reason: expect.stringMatching(/1 of 1 .*release 1.*\/healthz within 90s/),
      },
      { type: "retire", release: 1, reason: "release failed its health check" },
    ]);
  });

  it("does not start containers of a release in the same plan that fails it", () => {
    const crashed = container(2, 1, { state: "exited", healthy: false });
    const actions = plan(
      rollout(1, 2, TIMEOUT_MS),
      [...old, container(2, 0, { healthy: false }), crashed],
      NOW,
    );
    expect(ofType(actions, "fail")).toHaveLength(1);
    expect(ofType(actions, "apply")).toEqual([]);
  });
});

describe("plan: container states", () => {
  it.each(["exited", "created", "dead"])("has the engine replace a %s replica", (state) => {
    const gone = container(1, 1, { state, healthy: false });
    const actions = plan(serving(1), [container(1, 0), gone], NOW);
    expect(ofType(actions, "remove")).toEqual([]);
    expect(ofType(actions, "apply")).toEqual([{ type: "apply", release: 1, replicas: 2, starting: 1 }]);
    expect(single(actions, "route").endpoints).toEqual([endpoint(container(1, 0))]);
    // Dead containers are removed, not drained.
    expect(ofType(actions, "drain")).toEqual([]);
  });

  it("retires releases whose replicas all ended at once, even with no desired state", () => {
    const actions = plan(null, [container(3, 0, { state: "exited", healthy: false })], NOW);
    expect(actions).toEqual([{ type: "retire", release: 3, reason: "its replicas ended" }]);
  });

  it("ignores a container that is already being removed", () => {
    const removing = container(1, 1, { state: "removing", healthy: false });
    const actions = plan(serving(1), [container(1, 0), removing], NOW);
    const mentioned = actions.flatMap((a) =>
      a.type === "remove"
        ? [a.id]
        : a.type === "apply"
          ? [`apply ${a.release} starting ${a.starting}`]
          : a.type === "drain"
            ? a.ids
            : a.type === "route"
              ? a.endpoints.map((e) => e.containerId)
              : [],
    );
    expect(mentioned).not.toContain(removing.id);
    expect(plan(null, [removing], NOW)).toEqual([]);
  });

  it("keeps the replicas the engine lists first and drains one beyond the count (a duplicate made by hand)", () => {
    const first = container(1, 0, { id: "first", address: "172.18.9.2" });
    const extra = container(1, 0, { id: "extra", address: "172.18.9.3" });
    const actions = plan(serving(1, { replicas: 1 }), [first, extra], NOW);
    expect(actions).toEqual([
      { type: "route", release: 1, endpoints: [endpoint(first)] },
      { type: "drain", ids: ["extra"], retire: [], shrink: [{ release: 1, replicas: 1 }] },
    ]);
  });

  it("counts a restarting container as live (no second start) but does not route to it", () => {
    const restarting = container(1, 1, { state: "restarting", healthy: true });
    const actions = plan(serving(1), [container(1, 0), restarting], NOW);
    expect(ofType(actions, "apply")).toEqual([]);
    expect(ofType(actions, "remove")).toEqual([]);
    expect(ofType(actions, "drain")).toEqual([]);
    expect(single(actions, "route")).toEqual({
      type: "route",
      release: 1,
      endpoints: [endpoint(container(1, 0))],
    });
    expect(ofType(actions, "requeue")).toHaveLength(1);
  });

  it("excludes an unhealthy serving container from the route and requeues to re-probe it", () => {
    const sick = container(1, 1, { healthy: false });
    const actions = plan(serving(1), [container(1, 0), sick], NOW);
    expect(actions).toEqual([
      { type: "route", release: 1, endpoints: [endpoint(container(1, 0))] },
      { type: "requeue", afterMs: 1_000 },
    ]);
  });

  it("does not route to a running, healthy container without a network address", () => {
    const portless = container(1, 1, { address: null });
    const actions = plan(serving(1), [container(1, 0), portless], NOW);
    expect(single(actions, "route").endpoints).toEqual([endpoint(container(1, 0))]);
    expect(ofType(actions, "requeue")).toHaveLength(1);
  });
});

describe("plan: scaling", () => {
  it("scales down while serving: drains the extra replicas, then shrinks, routing only the wanted ones", () => {
    const observed = [container(1, 0), container(1, 1), container(1, 2)];
    const actions = plan(serving(1, { replicas: 1 }), observed, NOW);
    expect(actions).toEqual([
      { type: "route", release: 1, endpoints: [endpoint(container(1, 0))] },
      { type: "drain", ids: ["r1-s1", "r1-s2"], retire: [], shrink: [{ release: 1, replicas: 1 }] },
    ]);
  });

  it("scales up: starts the missing replicas and keeps routing the healthy existing ones", () => {
    const observed = [container(1, 0), container(1, 1)];
    const actions = plan(serving(1, { replicas: 4 }), observed, NOW);
    expect(actions).toEqual([
      { type: "apply", release: 1, replicas: 4, starting: 2 },
      { type: "route", release: 1, endpoints: observed.map(endpoint) },
      { type: "requeue", afterMs: 1_000 },
    ]);
  });

  it("completes a scale-up rollout of the serving release once every replica is healthy", () => {
    const observed = [container(1, 0), container(1, 1), container(1, 2)];
    const actions = plan(serving(1, { replicas: 3, phase: "rolling-out" }), observed, NOW);
    expect(actions).toEqual([
      { type: "route", release: 1, endpoints: observed.map(endpoint) },
      { type: "complete", release: 1 },
    ]);
  });

  it("replicas 0: routes no endpoints and drains every container, starting none", () => {
    const observed = [container(1, 0), container(1, 1)];
    const actions = plan(serving(1, { replicas: 0 }), observed, NOW);
    expect(actions).toEqual([
      { type: "route", release: 1, endpoints: [] },
      { type: "drain", ids: ["r1-s0", "r1-s1"], retire: [], shrink: [{ release: 1, replicas: 0 }] },
    ]);
    expect(plan(serving(1, { replicas: 0 }), [], NOW)).toEqual([
      { type: "route", release: 1, endpoints: [] },
    ]);
  });
});

describe("plan: app deleted or nothing desired", () => {
  it("routes to nothing and drains every live container when the app is gone", () => {
    const observed = [
      container(1, 0),
      container(2, 0, { state: "restarting", healthy: false }),
      container(2, 1),
    ];
    const actions = plan(null, observed, NOW);
    expect(actions).toEqual([
      { type: "route", release: null, endpoints: [] },
      { type: "drain", ids: ["r1-s0", "r2-s0", "r2-s1"], retire: [1, 2], shrink: [] },
    ]);
  });

  it("does nothing when the app is gone and nothing runs", () => {
    expect(plan(null, [], NOW)).toEqual([]);
  });

  it("does nothing for a deployment without a release and nothing running", () => {
    expect(plan(desired({ release: null, servingRelease: null, phase: "failed" }), [], NOW)).toEqual([]);
  });

  it("clears the route of a deployment whose release was unset while something was serving", () => {
    const actions = plan(desired({ release: null, servingRelease: 3, phase: "stopped" }), [], NOW);
    expect(actions).toEqual([{ type: "route", release: null, endpoints: [] }]);
  });
});

describe("plan: steady state", () => {
  it("is idempotent: a converged, healthy, serving app yields only the current route", () => {
    const observed = [container(4, 0), container(4, 1), container(4, 2)];
    const want = serving(4, { replicas: 3 });
    const snapshot = structuredClone({ want, observed });
    const actions = plan(want, observed, NOW);
    expect(actions).toEqual([{ type: "route", release: 4, endpoints: observed.map(endpoint) }]);
    for (const type of ["apply", "remove", "retire", "drain", "requeue", "complete", "fail"] as const) {
      expect(ofType(actions, type)).toEqual([]);
    }
    // Pure: same input, same output, inputs untouched, time does not matter once converged.
    expect(plan(want, observed, NOW + 3_600_000)).toEqual(actions);
    expect({ want, observed }).toEqual(snapshot);
  });

  it("routes endpoints in the engine's order (the one a scale-down keeps)", () => {
    const observed = [container(1, 2), container(1, 0), container(1, 1)];
    const actions = plan(serving(1, { replicas: 3 }), observed, NOW);
    expect(single(actions, "route").endpoints.map((e) => e.containerId)).toEqual(["r1-s2", "r1-s0", "r1-s1"]);
  });
});

describe("probeInterval", () => {
  const at = (startedMsAgo: number | null) =>
    probeInterval(desired({ rolloutStartedAt: startedMsAgo === null ? null : NOW - startedMsAgo }), NOW);

  it("probes fast right after a rollout starts, then backs off", () => {
    expect(at(0)).toBe(50);
    expect(at(2_999)).toBe(50);
    expect(at(3_000)).toBe(250);
    expect(at(14_999)).toBe(250);
    expect(at(15_000)).toBe(1_000);
    expect(at(600_000)).toBe(1_000);
  });

  it("uses the slow interval when no rollout is in progress", () => {
    expect(at(null)).toBe(1_000);
  });

  it("is what plan() requeues with while waiting", () => {
    const fresh = [container(2, 0, { healthy: false }), container(2, 1, { healthy: false })];
    const old = [container(1, 0), container(1, 1)];
    expect(single(plan(rollout(1, 2, 5_000), [...old, ...fresh], NOW), "requeue").afterMs).toBe(250);
    expect(single(plan(rollout(1, 2, 20_000), [...old, ...fresh], NOW), "requeue").afterMs).toBe(1_000);
  });
});

describe("plan: why a rollout failed", () => {
  it("names the probe and tells crash loops, deaf apps and missing replicas apart", () => {
    const fresh = [
      container(2, 0, { healthy: false }),
      container(2, 1, { state: "restarting", healthy: false, address: null }),
    ];
    const actions = plan(rollout(1, 2, TIMEOUT_MS, { replicas: 3 }), [container(1, 0), ...fresh], NOW);
    expect(single(actions, "fail").reason).toBe(
      "3 of 3 containers of release 2 did not answer GET :8080/healthz within 60s (1 running but unhealthy, 1 restarting, 1 not started)",
    );
  });
});

const canaryOf = (number: number, overrides: Partial<DesiredCanary> = {}): DesiredCanary => ({
  id: 7,
  release: release(number),
  replicas: 1,
  phase: "running",
  startedAt: NOW - 1_000,
  healthTimeoutMs: TIMEOUT_MS,
  ...overrides,
});

describe("plan: canary", () => {
  const stable = [container(1, 0), container(1, 1)];

  it("starts the canary's replicas beside the stable ones and routes only the stable while it starts", () => {
    const actions = plan(
      serving(1, { canary: canaryOf(2, { phase: "starting", replicas: 2 }) }),
      stable,
      NOW,
    );
    expect(ofType(actions, "apply")).toEqual([{ type: "apply", release: 2, replicas: 2, starting: 2 }]);
    expect(single(actions, "route").endpoints).toEqual(stable.map(endpoint));
    expect(ofType(actions, "drain")).toEqual([]);
    expect(types(actions)).toContain("requeue");
  });

  it("marks the canary ready before the route that first includes it, once every replica is healthy", () => {
    const c = container(2, 0);
    const actions = plan(serving(1, { canary: canaryOf(2, { phase: "starting" }) }), [...stable, c], NOW);
    expect(types(actions)).toEqual(["canary-ready", "route"]);
    expect(single(actions, "route").endpoints).toEqual([...stable, c].map(endpoint));
  });

  it("keeps a half-healthy starting canary out of the router", () => {
    const sick = container(2, 1, { healthy: false });
    const actions = plan(
      serving(1, { canary: canaryOf(2, { phase: "starting", replicas: 2 }) }),
      [...stable, container(2, 0), sick],
      NOW,
    );
    expect(ofType(actions, "canary-ready")).toEqual([]);
    expect(single(actions, "route").endpoints).toEqual(stable.map(endpoint));
  });

  it("fails a canary that is not healthy by its deadline and retires it, stable untouched", () => {
    const sick = container(2, 0, { healthy: false });
    const actions = plan(
      serving(1, { canary: canaryOf(2, { phase: "starting", startedAt: NOW - TIMEOUT_MS }) }),
      [...stable, sick],
      NOW,
    );
    expect(single(actions, "canary-fail").reason).toMatch(
      /1 of 1 containers of canary release 2 did not answer/,
    );
    expect(single(actions, "retire").release).toBe(2);
    expect(ofType(actions, "remove")).toEqual([]);
    expect(single(actions, "route").endpoints).toEqual(stable.map(endpoint));
    expect(ofType(actions, "drain")).toEqual([]);
  });

  it("routes a running canary's healthy replicas and replaces a crashed one", () => {
    const crashed = container(2, 1, { state: "exited" });
    const ok = container(2, 0);
    const actions = plan(serving(1, { canary: canaryOf(2, { replicas: 2 }) }), [...stable, ok, crashed], NOW);
    expect(single(actions, "apply")).toEqual({ type: "apply", release: 2, replicas: 2, starting: 1 });
    expect(single(actions, "route").endpoints).toEqual([...stable, ok].map(endpoint));
  });

  it("after an abort (no canary), routes the stable only and only then drains the canary", () => {
    const c = container(2, 0);
    const actions = plan(serving(1), [...stable, c], NOW);
    expect(types(actions)).toEqual(["route", "drain"]);
    expect(single(actions, "route").endpoints).toEqual(stable.map(endpoint));
    expect(single(actions, "drain")).toEqual({ type: "drain", ids: [c.id], retire: [2], shrink: [] });
  });

  it("while promoting, keeps the canary's share routed until all its replicas are up", () => {
    const c = container(2, 0);
    const actions = plan(
      rollout(1, 2, 1_000, { canary: canaryOf(2, { phase: "promoting" }) }),
      [...stable, c],
      NOW,
    );
    expect(single(actions, "apply")).toEqual({ type: "apply", release: 2, replicas: 2, starting: 1 });
    const route = single(actions, "route");
    expect(route.release).toBe(1);
    expect(route.endpoints).toEqual([...stable, c].map(endpoint));
    expect(ofType(actions, "drain")).toEqual([]);
  });

  it("completes a promotion like a rollout: switch to the canary's release, drain the stable", () => {
    const canary = [container(2, 0), container(2, 1)];
    const actions = plan(
      rollout(1, 2, 1_000, { canary: canaryOf(2, { phase: "promoting" }) }),
      [...stable, ...canary],
      NOW,
    );
    expect(types(actions)).toEqual(["route", "drain", "complete"]);
    expect(single(actions, "route")).toEqual({ type: "route", release: 2, endpoints: canary.map(endpoint) });
    expect(single(actions, "drain").ids).toEqual(stable.map((c) => c.id));
  });
});

describe("plan: links", () => {
  const link = { link: 7, aliases: ["web.prod.acme"] };

  it("has the engine join every replica to a link it is missing", () => {
    const c = container(1, 0);
    const actions = plan(serving(1, { replicas: 1, links: [link] }), [c], NOW);
    expect(ofType(actions, "apply")).toEqual([{ type: "apply", release: 1, replicas: 1, starting: 0 }]);
  });

  it("has the engine leave links that are no longer wanted", () => {
    const c = container(1, 0, { links: [3, 7] });
    const actions = plan(serving(1, { replicas: 1, links: [link] }), [c], NOW);
    expect(ofType(actions, "apply")).toEqual([{ type: "apply", release: 1, replicas: 1, starting: 0 }]);
  });

  it("leaves a replica on the host network alone: it can join no other network", () => {
    const c = container(1, 0);
    const host = release(1);
    host.resources = { ...host.resources, hostNetwork: true };
    const actions = plan(serving(1, { replicas: 1, links: [link], release: host }), [c], NOW);
    expect(ofType(actions, "apply")).toEqual([]);
  });

  it("is idempotent: a replica already on exactly its links needs no apply", () => {
    const c = container(1, 0, { links: [7] });
    const actions = plan(serving(1, { replicas: 1, links: [link] }), [c], NOW);
    expect(ofType(actions, "apply")).toEqual([]);
  });
});

describe("plan: stop-first", () => {
  it("unroutes the old release and applies the new one (the engine stops the old first)", () => {
    const old = [container(1, 0)];
    const actions = plan(rollout(1, 2, 1_000, { replicas: 1, strategy: "stop-first" }), old, NOW);
    expect(actions).toEqual([
      { type: "route", release: null, endpoints: [] },
      { type: "apply", release: 2, replicas: 1, starting: 1 },
      { type: "requeue", afterMs: 50 },
    ]);
  });

  it("once the old release is gone, waits for the new one like any rollout", () => {
    const fresh = [container(2, 0, { healthy: false })];
    const actions = plan(rollout(1, 2, 1_000, { replicas: 1, strategy: "stop-first" }), fresh, NOW);
    expect(actions).toEqual([
      { type: "route", release: 1, endpoints: [] },
      { type: "requeue", afterMs: 50 },
    ]);
  });
});

describe("plan: continuous health", () => {
  const REPLACE_MS = 30_000;

  it("keeps a serving replica that just turned unhealthy out of the router, without replacing it yet", () => {
    const sick = container(3, 1, { healthy: false, unhealthySince: NOW - 12_000 });
    const well = container(3, 0);
    const actions = plan(serving(3, { replaceUnhealthyAfterMs: REPLACE_MS }), [well, sick], NOW);
    expect(single(actions, "route").endpoints).toEqual([endpoint(well)]);
    expect(ofType(actions, "remove")).toEqual([]);
    expect(ofType(actions, "apply")).toEqual([]);
  });

  it("replaces a serving replica that stayed unhealthy: removed, and a successor started", () => {
    const sick = container(3, 1, { healthy: false, unhealthySince: NOW - 31_000 });
    const well = container(3, 0);
    const actions = plan(serving(3, { replaceUnhealthyAfterMs: REPLACE_MS }), [well, sick], NOW);
    expect(single(actions, "remove")).toEqual({
      type: "remove",
      id: sick.id,
      reason: "it failed its health check for 31s while serving; a new replica replaces it",
    });
    expect(single(actions, "apply")).toEqual({ type: "apply", release: 3, replicas: 2, starting: 1 });
    expect(single(actions, "route").endpoints).toEqual([endpoint(well)]);
    expect(types(actions).indexOf("remove")).toBeLessThan(types(actions).indexOf("apply"));
  });

  it("replaces nothing where the engine cannot stop one chosen replica (no replaceUnhealthyAfterMs: a cluster)", () => {
    const sick = container(3, 1, { healthy: false, unhealthySince: NOW - 600_000 });
    const actions = plan(serving(3), [container(3, 0), sick], NOW);
    expect(ofType(actions, "remove")).toEqual([]);
    expect(single(actions, "route").endpoints).toEqual([endpoint(container(3, 0))]);
  });

  it("never replaces a replica that has not answered yet, nor any during a rollout", () => {
    const starting = container(3, 1, { healthy: false, unhealthySince: null });
    expect(
      ofType(
        plan(serving(3, { replaceUnhealthyAfterMs: REPLACE_MS }), [container(3, 0), starting], NOW),
        "remove",
      ),
    ).toEqual([]);
    const old = container(2, 0, { healthy: false, unhealthySince: NOW - 60_000 });
    const rolling = plan(
      rollout(2, 3, 1_000, { replaceUnhealthyAfterMs: REPLACE_MS, replicas: 1 }),
      [old],
      NOW,
    );
    expect(ofType(rolling, "remove")).toEqual([]);
  });
});
