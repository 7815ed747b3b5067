import type {
  Canary,
  CanaryRulesPatch,
  CanaryStartRequest,
  CanaryStatus,
  ReleaseTraffic,
} from "../domain/canary.js";
import type { DeploymentEventKind } from "../domain/deployment-event.js";
import { DomainError } from "../domain/domain-error.js";
import { appKey } from "../domain/labels.js";
import type { TrafficRuleKind, TrafficRules } from "../domain/traffic-rules.js";
import type { Enqueuer } from "../reconciler/enqueuer.js";
import type { CanaryRow } from "../store/canary-repository.js";
import type { Store } from "../store/store.js";
import { canaryRulesText } from "./canary-rules-text.js";
import { type AppInEnv, findAppInEnv } from "./lookup.js";
import type { ImageLookup, RouterRefresher, TrafficMetrics } from "./ports.js";
import type { ReleaseMaker } from "./release-maker.js";
import { imageForTenant } from "./tenant-image.js";
import { toCanary } from "./to-canary.js";
import { NO_AUDIT, type WriteOp, WritePath } from "./write-path.js";

export interface CanaryOutcome {
  canary: Canary;
  eventCursor: number;
}

const RULE_KINDS: TrafficRuleKind[] = ["header", "cookie", "cidr", "weight", "stable"];

/**
 * Canary and blue-green releases: a second release beside the serving one, with rules that pick
 * which requests it gets. Writes desired state and lets the reconciler start, route and retire
 * containers; rule changes are published to the router directly, and answer once live.
 */
export class CanaryService {
  constructor(
    private readonly store: Store,
    private readonly images: ImageLookup,
    private readonly reconciler: Enqueuer,
    private readonly router: RouterRefresher,
    private readonly metrics: TrafficMetrics,
    private readonly releases: ReleaseMaker,
    private readonly now: () => Date = () => new Date(),
    private readonly writes: WritePath = new WritePath(store, NO_AUDIT),
  ) {}

  async start(tenant: string, env: string, app: string, req: CanaryStartRequest): Promise<CanaryOutcome> {
    const where = await findAppInEnv(this.store, tenant, env, app);
    const deployment = await this.store.deployments.find(where.app.id, where.env.id);
    const stable = deployment?.serving_release ?? null;
    if (!deployment || stable === null)
      throw new DomainError(
        "conflict",
        `${app} is not serving in ${env}; deploy it first, then start a canary`,
      );
    if (deployment.phase === "rolling-out" || deployment.release !== stable)
      throw new DomainError(
        "conflict",
        `${app} is rolling out release ${deployment.release} in ${env}; wait until it serves, then start a canary`,
      );
    if (req.rollout && req.mode === "blue-green")
      throw new DomainError(
        "invalid",
        "a blue-green release switches all at once; staged steps are for canaries",
        "rollout",
      );
    if (req.rollout && req.rules.weight !== 0)
      throw new DomainError(
        "invalid",
        "give either a weight or rollout steps: the steps set the weight",
        "rules.weight",
      );
    const image = req.image ? await imageForTenant(this.images, req.image, tenant) : undefined;
    if (req.image && !image)
      throw new DomainError(
        "invalid",
        `image '${req.image}' is not on this host; build it with 'berth deploy ${app} --path DIR' or load it with 'docker load'`,
        "image",
      );
    const rules: TrafficRules = {
      ...req.rules,
      weight: req.rollout
        ? (req.rollout.steps[0] as number)
        : req.mode === "blue-green"
          ? 0
          : req.rules.weight,
    };

    const change = {
      start: req.mode,
      image: req.image,
      release: req.release,
      weight: rules.weight,
      replicas: req.replicas,
    };
    const outcome = await this.writes.run(canaryOp(where, change), async (tx) => {
      if (await tx.canaries.findActive(where.app.id, where.env.id))
        throw new DomainError(
          "conflict",
          `${app} already has a canary in ${env}; promote or abort it first ('berth canary status ${app} --env ${env}')`,
        );
      const eventCursor = await tx.events.lastId(where.app.id, where.env.id);
      let release = req.release;
      if (req.image && image) {
        // The canary runs with this environment's config; port and health flags are its own.
        const made = await this.releases.make(tx, where, {
          image: req.image,
          imageId: image.id,
          exposedPorts: image.exposedPorts,
          source: req.image.startsWith(`berth/${tenant}/${app}:build-`) ? "build" : "image",
          releaseSettings: { port: req.port, healthPath: req.healthPath, healthTimeout: req.healthTimeout },
        });
        release = (await tx.releases.create({ ...made.fields, app_id: where.app.id, env_id: where.env.id }))
          .number;
        await tx.events.append(
          where.app.id,
          where.env.id,
          release,
          "release-created",
          `release ${release} created from ${req.image} (${image.id.slice(7, 19)}) for a ${req.mode}: ${made.fields.changes}`,
        );
      } else {
        const existing = await tx.releases.find(where.app.id, where.env.id, release as number);
        if (!existing)
          throw new DomainError(
            "not_found",
            `${app} has no release ${release} in ${env}; see 'berth releases ${app} --env ${env}'`,
            "release",
          );
      }
      if (release === stable)
        throw new DomainError(
          "conflict",
          `release ${release} is already the serving release of ${app} in ${env}`,
          "release",
        );
      const startedAt = this.now().toISOString();
      const what = req.mode === "blue-green" ? "blue-green release" : "canary release";
      const message = `${what} ${release} is starting beside release ${stable}; it gets traffic once healthy (${canaryRulesText(rules)})`;
      const row = await tx.canaries.insert({
        app_id: where.app.id,
        env_id: where.env.id,
        mode: req.mode,
        phase: "starting",
        release: release as number,
        stable_release: stable,
        replicas: req.replicas ?? Math.max(1, deployment.replicas),
        health_timeout_s: req.healthTimeout ?? deployment.health_timeout_s,
        rules,
        rollout: req.rollout ?? null,
        step_index: 0,
        step_started_at: null,
        message,
        started_at: startedAt,
      });
      await tx.events.append(where.app.id, where.env.id, row.release, "canary-started", message);
      return { canary: toCanary(row), eventCursor };
    });
    this.reconciler.enqueue(appKey({ tenant, env, app }));
    return outcome;
  }

  /** Changes the rules of the active canary; resolves once the router serves them. */
  async updateRules(tenant: string, env: string, app: string, patch: CanaryRulesPatch): Promise<Canary> {
    const where = await findAppInEnv(this.store, tenant, env, app);
    const row = await this.active(where);
    if (row.phase === "promoting")
      throw new DomainError(
        "conflict",
        `canary release ${row.release} is being promoted; its rules are fixed now`,
      );
    if (patch.weight !== undefined && row.rollout !== null)
      throw new DomainError(
        "conflict",
        `canary release ${row.release} follows staged steps, which set its weight; abort it, or change other rules`,
        "weight",
      );
    const current = row.rules;
    const rules: TrafficRules = {
      headers: patch.headers ?? current.headers,
      cookie: patch.cookie === undefined ? current.cookie : patch.cookie,
      sourceCidrs: patch.sourceCidrs ?? current.sourceCidrs,
      weight: patch.weight ?? current.weight,
    };
    const message = `rules of canary release ${row.release}: ${canaryRulesText(rules)}`;
    const change = {
      headers: rules.headers.map((h) => h.name),
      cookie: rules.cookie?.name,
      sourceCidrs: rules.sourceCidrs,
      weight: rules.weight,
    };
    await this.writes.run(canaryOp(where, change), async (tx) => {
      if (!(await tx.canaries.update(row.id, { rules }, ["starting", "running"])))
        throw new DomainError(
          "conflict",
          `canary release ${row.release} changed meanwhile; look at 'berth canary status ${app} --env ${env}'`,
        );
      await tx.events.append(where.app.id, where.env.id, row.release, "canary-updated", message);
    });
    await this.router.publish();
    return toCanary({ ...row, rules });
  }

  /**
   * Makes the canary the serving release: a rolling update to it, during which its rules keep
   * sending it its share, so no request fails and no canary client is bounced back.
   */
  async promote(tenant: string, env: string, app: string): Promise<CanaryOutcome> {
    const where = await findAppInEnv(this.store, tenant, env, app);
    const row = await this.active(where);
    if (row.phase !== "running")
      throw new DomainError(
        "conflict",
        row.phase === "starting"
          ? `canary release ${row.release} is not healthy yet, so it cannot be promoted; wait, or abort it`
          : `canary release ${row.release} is already being promoted`,
      );
    const outcome = await this.writes.run(canaryOp(where, { promote: row.release }), async (tx) => {
      const eventCursor = await tx.events.lastId(where.app.id, where.env.id);
      const message = `promoting canary release ${row.release}: it takes all the traffic once ${row.stable_release}'s replicas are replaced`;
      if (!(await tx.canaries.update(row.id, { phase: "promoting", message }, ["running"])))
        throw new DomainError(
          "conflict",
          `canary release ${row.release} changed meanwhile; look at 'berth canary status ${app} --env ${env}'`,
        );
      await tx.deployments.update(where.app.id, where.env.id, {
        release: row.release,
        requested_at: this.now().toISOString(),
      });
      await tx.events.append(where.app.id, where.env.id, row.release, "canary-promoting", message);
      return { canary: toCanary({ ...row, phase: "promoting", message }), eventCursor };
    });
    this.reconciler.enqueue(appKey({ tenant, env, app }));
    return outcome;
  }

  /** Sends all traffic back to the stable release, then retires the canary's containers. */
  async abort(tenant: string, env: string, app: string): Promise<CanaryOutcome> {
    const where = await findAppInEnv(this.store, tenant, env, app);
    const row = await this.active(where);
    return this.end(
      where,
      row,
      "aborted",
      `canary release ${row.release} aborted; release ${row.stable_release} takes all the traffic again`,
    );
  }

  /** The staged rollout's verdict: a gate failed, so the canary goes the way of an abort. */
  async failGate(
    canaryId: number,
    names: { tenant: string; env: string; app: string },
    reason: string,
  ): Promise<void> {
    const where = await findAppInEnv(this.store, names.tenant, names.env, names.app);
    const row = await this.store.canaries.findActive(where.app.id, where.env.id);
    if (!row || row.id !== canaryId) return;
    await this.end(
      where,
      row,
      "failed",
      `rolled back automatically: ${reason}; release ${row.stable_release} takes all the traffic again`,
    );
  }

  /** The staged rollout's next step: a higher weight, live before this resolves. */
  async advance(
    canaryId: number,
    names: { tenant: string; env: string; app: string },
    summary: string,
  ): Promise<void> {
    const where = await findAppInEnv(this.store, names.tenant, names.env, names.app);
    const row = await this.store.canaries.findActive(where.app.id, where.env.id);
    const rollout = row ? row.rollout : null;
    if (!row || row.id !== canaryId || row.phase !== "running" || !rollout) return;
    const next = row.step_index + 1;
    if (next >= rollout.steps.length) {
      await this.promote(names.tenant, names.env, names.app);
      return;
    }
    const weight = rollout.steps[next] as number;
    const rules = { ...row.rules, weight };
    const message = `step ${next + 1}/${rollout.steps.length}: weight ${weight}% (step ${next} passed: ${summary})`;
    await this.writes.run(canaryOp(where, { step: next + 1, weight }), async (tx) => {
      const moved = await tx.canaries.update(
        row.id,
        {
          rules,
          step_index: next,
          step_started_at: this.now().toISOString(),
          message,
        },
        ["running"],
      );
      if (moved) await tx.events.append(where.app.id, where.env.id, row.release, "canary-step", message);
    });
    await this.router.publish();
  }

  async status(tenant: string, env: string, app: string, windowSeconds: number): Promise<CanaryStatus> {
    const where = await findAppInEnv(this.store, tenant, env, app);
    const row = await this.store.canaries.findLatest(where.app.id, where.env.id);
    const deployment = await this.store.deployments.find(where.app.id, where.env.id);
    const to = this.now().getTime();
    const from = to - windowSeconds * 1000;
    const id = `${tenant}/${env}/${app}`;
    const releases: { release: number; role: "stable" | "canary" }[] = [];
    if (deployment?.serving_release) releases.push({ release: deployment.serving_release, role: "stable" });
    if (row && row.release !== deployment?.serving_release)
      releases.push({ release: row.release, role: "canary" });
    const traffic: ReleaseTraffic[] = await Promise.all(
      releases.map(async ({ release, role }) => {
        const w = await this.metrics.stats(id, release, from, to);
        const byRule = Object.fromEntries(
          RULE_KINDS.map((k) => [k, w.ruleCounts[k] ?? 0]),
        ) as ReleaseTraffic["byRule"];
        return {
          release,
          role,
          requests: w.requests,
          rps: w.rps,
          errorRate: w.errorRate,
          p50Ms: w.p50Ms,
          p99Ms: w.p99Ms,
          byRule,
        };
      }),
    );
    return { canary: row ? toCanary(row) : null, windowSeconds, traffic };
  }

  private async active(where: AppInEnv): Promise<CanaryRow> {
    const row = await this.store.canaries.findActive(where.app.id, where.env.id);
    if (!row)
      throw new DomainError(
        "not_found",
        `${where.app.name} has no canary in ${where.env.name}; start one with 'berth canary start ${where.app.name} --env ${where.env.name}'`,
      );
    return row;
  }

  private async end(
    where: AppInEnv,
    row: CanaryRow,
    phase: "aborted" | "failed",
    message: string,
  ): Promise<CanaryOutcome> {
    const kind: DeploymentEventKind = phase === "aborted" ? "canary-aborted" : "canary-failed";
    const outcome = await this.writes.run(canaryOp(where, { end: phase }), async (tx) => {
      const eventCursor = await tx.events.lastId(where.app.id, where.env.id);
      if (!(await tx.canaries.update(row.id, { phase, message })))
        throw new DomainError(
          "conflict",
          `canary release ${row.release} already ended; see 'berth canary status ${where.app.name} --env ${where.env.name}'`,
        );
      // A promotion under way is undone: the stable release is still the serving one.
      if (row.phase === "promoting")
        await tx.deployments.update(where.app.id, where.env.id, {
          release: row.stable_release,
          requested_at: this.now().toISOString(),
        });
      await tx.events.append(where.app.id, where.env.id, row.release, kind, message);
      return { canary: toCanary({ ...row, phase, message }), eventCursor };
    });
    // The router leaves an ended canary out at once (its endpoints stay in the store until the
    // reconciler drains them), so the answer means traffic is back on the stable release.
    await this.router.publish();
    this.reconciler.enqueue(appKey({ tenant: where.tenant.name, env: where.env.name, app: where.app.name }));
    return outcome;
  }
}

/** A canary is audited as a change of its app in its environment. */
const canaryOp = (where: AppInEnv, change: WriteOp["change"]): WriteOp => ({
  tenant: where.tenant.name,
  object: { kind: "canary", name: where.app.name },
  env: where.env.name,
  change,
});
