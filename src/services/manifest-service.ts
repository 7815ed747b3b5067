import { DomainError } from "../domain/domain-error.js";
import { appKey } from "../domain/labels.js";
import { type ApplyResult, type Manifest, type ManifestAppEnv, type PlanStep } from "../domain/manifest.js";
import type { SecretBox } from "../domain/secret-box.js";
import type { TrafficRules } from "../domain/traffic-rules.js";
import type { Enqueuer } from "../reconciler/enqueuer.js";
import type { AppRow } from "../store/app-repository.js";
import type { EnvironmentRow } from "../store/environment-repository.js";
import type { Store } from "../store/store.js";
import { applyLayer, type LayerSpec } from "./apply-layer.js";
import type { CanaryService } from "./canary-service.js";
import { currentRelease } from "./current-release.js";
import { exportManifest } from "./export-manifest.js";
import type { AppInEnv } from "./lookup.js";
import { orderByDependencies } from "./order-by-dependencies.js";
import type { ImageLookup } from "./ports.js";
import type { ReleaseMaker } from "./release-maker.js";
import { type Reached, rollAffected } from "./roll-affected.js";
import type { RouteService } from "./route-service.js";
import { imageForTenant } from "./tenant-image.js";
import { NO_AUDIT, WritePath } from "./write-path.js";

/** Thrown inside the transaction to undo a dry run after it computed everything a real run would. */

/**
 * berth.yaml: apply makes the store say what the manifest says (sections present are managed
 * exactly; absent sections are left alone), in one transaction with the releases it causes.
 * Routes and canaries follow through their own services. A dry run runs the same code and rolls back.
 */
export class ManifestService {
  constructor(
    private readonly store: Store,
    private readonly images: ImageLookup,
    private readonly reconciler: Enqueuer,
    private readonly releases: ReleaseMaker,
    private readonly box: SecretBox,
    private readonly routes: RouteService,
    private readonly canaries: CanaryService,
    private readonly writes: WritePath = new WritePath(store, NO_AUDIT),
  ) {}

  async apply(m: Manifest, dryRun: boolean): Promise<ApplyResult> {
    const order = orderByDependencies(
      Object.entries(m.apps ?? {}).map(([name, a]) => ({ name, dependsOn: a.dependsOn ?? [] })),
    );
    const images = await this.inspectImages(m);
    const change = {
      dryRun,
      environments: Object.keys(m.environments ?? {}),
      apps: Object.keys(m.apps ?? {}),
    };
    const op = { tenant: m.tenant, object: { kind: "manifest", name: m.tenant }, change, dryRun } as const;
    const result = await this.writes.run(op, async (tx) => {
      const steps: PlanStep[] = [];
      const notes: string[] = [];
      const step = (action: string, target: string, detail = "") => steps.push({ action, target, detail });
      let tenant = await tx.tenants.find(m.tenant);
      if (!tenant) {
        tenant = await tx.tenants.create(m.tenant);
        step("create tenant", m.tenant);
      }
      const envNames = new Set(Object.keys(m.environments ?? {}));
      for (const a of Object.values(m.apps ?? {})) for (const e of Object.keys(a.envs ?? {})) envNames.add(e);
      const envs = new Map<string, EnvironmentRow>();
      for (const name of [...envNames].sort()) {
        let env = await tx.environments.find(tenant.id, name);
        if (!env) {
          env = await tx.environments.create(tenant.id, name);
          step("create environment", name);
        }
        envs.set(name, env);
      }
      const apps = new Map<string, AppRow>();
      for (const name of order) {
        let app = await tx.apps.find(tenant.id, name);
        if (app?.capability)
          throw new DomainError(
            "conflict",
            `apps.${name}: '${name}' runs service instances (capability ${app.capability}), not an app; rename the app in the manifest`,
            `apps.${name}`,
          );
        if (!app) {
          app = await tx.apps.create(tenant.id, name);
          step("create app", name);
        }
        apps.set(name, app);
      }
      const t = tenant;
      // Only deployments under a layer this apply changed get new releases: drift such as a
      // rollback stays as it is, so applying an export changes nothing.
      const changedScopes: { appId: number; envId: number }[] = [];
      const layer = async (appId: number, envId: number, spec: LayerSpec, target: string, path: string) => {
        const before = steps.length;
        await applyLayer(tx, this.box, { tenantId: t.id, appId, envId }, spec, target, path, step);
        if (steps.length > before) changedScopes.push({ appId, envId });
      };
      const touched = (where: AppInEnv) =>
        changedScopes.some(
          (c) => (c.appId === 0 || c.appId === where.app.id) && (c.envId === 0 || c.envId === where.env.id),
        );
      await layer(0, 0, m, `tenant ${m.tenant}`, "");
      for (const [name, spec] of Object.entries(m.environments ?? {}))
        await layer(0, envs.get(name)?.id as number, spec, `${m.tenant} ${name}`, `environments.${name}.`);
      for (const name of order) {
        const a = m.apps?.[name];
        if (!a) continue;
        const appId = apps.get(name)?.id as number;
        await layer(appId, 0, a, name, `apps.${name}.`);
        for (const [envName, spec] of Object.entries(a.envs ?? {}))
          await layer(
            appId,
            envs.get(envName)?.id as number,
            spec,
            `${name}/${envName}`,
            `apps.${name}.envs.${envName}.`,
          );
      }

      // Every deployment of the tenant may be reached by a tenant-wide layer; apps in
      // dependency order, so a dependency's release is written (and rolled) first.
      const rank = new Map(order.map((n, i) => [n, i]));
      const deployed = (await tx.deployments.listForTenant(m.tenant)).sort(
        (x, y) => (rank.get(x.app) ?? -1) - (rank.get(y.app) ?? -1),
      );
      const reached: Reached[] = [];
      const seen = new Set<string>();
      for (const name of order)
        for (const [envName, spec] of Object.entries(m.apps?.[name]?.envs ?? {})) {
          const where = this.where(t, envs.get(envName), apps.get(name));
          const ref = spec.image ?? m.apps?.[name]?.image;
          const current = await currentRelease(tx, where);
          seen.add(`${name}/${envName}`);
          if (ref && current?.image !== ref) {
            const image = images.get(ref) as { id: string; exposedPorts: number[] };
            reached.push({ where, image: { ref, ...image } });
            step("deploy", `${name}/${envName}`, ref);
          } else if (current) {
            if (touched(where)) reached.push({ where });
          } else notes.push(`${name} has no image for ${envName}; set image to deploy it`);
        }
      for (const d of deployed) {
        if (seen.has(`${d.app}/${d.env}`)) continue;
        const where = this.where(t, await tx.environments.find(t.id, d.env), await tx.apps.find(t.id, d.app));
        // Only under a layer this apply changed: staged changes and rollbacks stay as they are.
        if (touched(where)) reached.push({ where });
      }
      for (const r of reached) {
        const canary = await tx.canaries.findActive(r.where.app.id, r.where.env.id);
        if (canary && r.image)
          throw new DomainError(
            "conflict",
            `${r.where.app.name} has a canary in ${r.where.env.name}; promote or abort it before deploying a new image`,
          );
      }
      const exposed = new Map([...images.values()].map((i) => [i.id, i.exposedPorts]));
      const rolled = await rollAffected(tx, this.releases, reached, (id) => exposed.get(id) ?? [], false);
      for (const r of rolled.releases) step("release", `${r.app}/${r.env}`, `release ${r.release}`);
      for (const s of rolled.scaled) step("scale", `${s.app}/${s.env}`, `${s.replicas} replica(s)`);
      for (const name of order)
        for (const [envName, spec] of Object.entries(m.apps?.[name]?.envs ?? {})) {
          const where = this.where(t, envs.get(envName), apps.get(name));
          await this.planRoutes(tx, where, spec, step);
          await this.planCanary(tx, where, spec, step, notes);
        }
      return { dryRun, steps, releases: rolled.releases, notes } satisfies ApplyResult;
    });
    if (dryRun) return result;
    for (const r of result.releases)
      this.reconciler.enqueue(appKey({ tenant: m.tenant, env: r.env, app: r.app }));
    for (const s of result.steps.filter((x) => x.action === "scale")) {
      const [app, env] = s.target.split("/") as [string, string];
      this.reconciler.enqueue(appKey({ tenant: m.tenant, env, app }));
    }
    await this.followThrough(m, result);
    return result;
  }

  export(tenant: string, env?: string): Promise<Manifest> {
    return exportManifest(this.store, tenant, env);
  }

  private async planRoutes(
    tx: Store,
    where: AppInEnv,
    spec: ManifestAppEnv,
    step: (action: string, target: string, detail?: string) => void,
  ): Promise<void> {
    if (!spec.routes) return;
    const have = await tx.appRoutes.list(where.app.id, where.env.id);
    const key = (r: { host: string; path: string; tls: string; redirectHttps: boolean }) =>
      `${r.host}${r.path} tls=${r.tls}${r.redirectHttps ? " redirect" : ""}`;
    const haveKeys = new Map(have.map((r) => [key({ ...r, redirectHttps: r.redirect_https }), r]));
    const wantKeys = new Set(spec.routes.map(key));
    const target = `${where.app.name}/${where.env.name}`;
    for (const [k, r] of haveKeys) if (!wantKeys.has(k)) step("remove route", target, `${k} #${r.id}`);
    for (const r of spec.routes) {
      if (haveKeys.has(key(r))) continue;
      if (r.tls === "uploaded")
        throw new DomainError(
          "invalid",
          `route ${r.host}${r.path} of ${target} says tls 'uploaded' but has no uploaded certificate; add it with 'berth route add --cert --key'`,
        );
      step("add route", target, key(r));
    }
  }

  private async planCanary(
    tx: Store,
    where: AppInEnv,
    spec: ManifestAppEnv,
    step: (action: string, target: string, detail?: string) => void,
    notes: string[],
  ): Promise<void> {
    if (!spec.canary) return;
    const target = `${where.app.name}/${where.env.name}`;
    const active = await tx.canaries.findActive(where.app.id, where.env.id);
    if (active) {
      const release = await tx.releases.find(where.app.id, where.env.id, active.release);
      if (release?.image !== spec.canary.image) {
        notes.push(
          `${target} already runs a canary of ${release?.image}; promote or abort it to start ${spec.canary.image}`,
        );
        return;
      }
      if (JSON.stringify(active.rules) !== JSON.stringify(spec.canary.rules) && active.rollout === null)
        step("change canary rules", target, spec.canary.image);
      return;
    }
    const deployment = await tx.deployments.find(where.app.id, where.env.id);
    const serving = deployment?.serving_release;
    const stable = serving ? await tx.releases.find(where.app.id, where.env.id, serving) : undefined;
    if (stable?.image === spec.canary.image) return;
    if (!serving || deployment?.phase !== "serving" || deployment.release !== serving) {
      notes.push(`${target}: the canary starts once the app serves; apply again then`);
      return;
    }
    step("start canary", target, spec.canary.image);
  }

  /** Routes and canaries go through their services after the commit: they touch the router and certificates. */
  private async followThrough(m: Manifest, result: ApplyResult): Promise<void> {
    for (const s of result.steps) {
      const [app, env] = s.target.split("/") as [string, string];
      const spec = m.apps?.[app]?.envs?.[env];
      if (!spec) continue;
      if (s.action === "remove route") {
        const id = Number(s.detail.slice(s.detail.lastIndexOf("#") + 1));
        await this.routes.remove(m.tenant, env, app, id);
      } else if (s.action === "add route") {
        const r = spec.routes?.find(
          (x) => `${x.host}${x.path} tls=${x.tls}${x.redirectHttps ? " redirect" : ""}` === s.detail,
        );
        if (r) await this.routes.add(m.tenant, env, app, { ...r, tls: r.tls as "none" | "internal" });
      } else if (s.action === "start canary" && spec.canary) {
        await this.canaries.start(m.tenant, env, app, {
          image: spec.canary.image,
          mode: spec.canary.mode,
          rules: spec.canary.rules as TrafficRules,
          rollout: spec.canary.rollout,
        });
      } else if (s.action === "change canary rules" && spec.canary) {
        await this.canaries.updateRules(m.tenant, env, app, spec.canary.rules);
      }
    }
  }

  private async inspectImages(m: Manifest): Promise<Map<string, { id: string; exposedPorts: number[] }>> {
    const refs = new Map<string, string>();
    for (const [name, a] of Object.entries(m.apps ?? {})) {
      if (a.image) refs.set(a.image, `apps.${name}.image`);
      for (const [e, spec] of Object.entries(a.envs ?? {}))
        if (spec.image) refs.set(spec.image, `apps.${name}.envs.${e}.image`);
    }
    const out = new Map<string, { id: string; exposedPorts: number[] }>();
    for (const [ref, field] of refs) {
      const info = await imageForTenant(this.images, ref, m.tenant);
      if (!info)
        throw new DomainError("invalid", `image '${ref}' is not on this host; build or load it first`, field);
      out.set(ref, info);
    }
    return out;
  }

  private where(
    tenant: AppInEnv["tenant"],
    env: AppInEnv["env"] | undefined,
    app: AppInEnv["app"] | undefined,
  ): AppInEnv {
    if (!env || !app) throw new Error("manifest apply lost an app or environment it had just written");
    return { tenant, env, app };
  }
}
