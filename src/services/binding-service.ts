import { resolveConfig } from "../config/render-template.js";
import {
  type BindingCredentials,
  openInstanceSecrets,
  sealBindingCredentials,
} from "../config/sealed-service-values.js";
import { DomainError } from "../domain/domain-error.js";
import { appKey } from "../domain/labels.js";
import type { SecretBox } from "../domain/secret-box.js";
import type { BindRequest, ServiceBinding } from "../domain/service-instance.js";
import { hookJob } from "../formats/hook-job.js";
import { credentialVariable } from "../formats/lint-module.js";
import { bindingVariables, instanceVariables } from "../formats/module-variables.js";
import type { Enqueuer } from "../reconciler/enqueuer.js";
import type { CapabilityModuleRecord } from "../store/capability-module-repository.js";
import type { ServiceInstanceRecord } from "../store/service-instance-repository.js";
import type { Store } from "../store/store.js";
import { currentRelease } from "./current-release.js";
import { refuseDuringCanary } from "./deploy-service.js";
import { instanceKey } from "./instance-service.js";
import { planOf, randomAlphanumeric } from "./instance-values.js";
import { type AppInEnv, findAppInEnv } from "./lookup.js";
import type { HookRunner, ImageLookup } from "./ports.js";
import type { ReleaseMaker } from "./release-maker.js";
import { startRollout } from "./start-rollout.js";
import { NO_AUDIT, WritePath } from "./write-path.js";

export interface BindOutcome {
  binding: ServiceBinding;
  /** The release the app rolls out with (or without) the binding; null: the app has none yet. */
  release: number | null;
  eventCursor: number;
}

/** b_orders_web_x7k2q9: starts with a letter, only [a-z0-9_], at most 32 characters. */
function usernameFor(app: string): string {
  const suffix = randomAlphanumeric(6).toLowerCase();
  return `b_${app.replace(/-/g, "_").slice(0, 22)}_${suffix}`;
}

/**
 * Bindings: an app's own credentials to a service instance in the same environment. Bind runs
 * the module's create hook (a user for this binding only), seals what the binding holds, and
 * rolls the app out with it; unbind rolls the app out without it, and the instance's reconciler
 * runs the delete hook once the app no longer serves a release that has it.
 */
export class BindingService {
  constructor(
    private readonly store: Store,
    private readonly reconciler: Enqueuer,
    private readonly box: SecretBox,
    private readonly images: ImageLookup,
    private readonly hooks: HookRunner,
    private readonly releases: ReleaseMaker,
    private readonly writes: WritePath = new WritePath(store, NO_AUDIT),
  ) {}

  async bind(tenant: string, env: string, app: string, req: BindRequest): Promise<BindOutcome> {
    const where = await findAppInEnv(this.store, tenant, env, app);
    await refuseDuringCanary(this.store, where);
    const i = await this.store.instances.find(where.tenant.id, where.env.id, req.service);
    if (!i)
      throw new DomainError(
        "not_found",
        `service '${req.service}' does not exist in ${env}; bindings stay within one environment (see 'berth service list --env ${env}')`,
        "service",
      );
    if (i.deleting || i.status?.phase !== "ready")
      throw new DomainError(
        "conflict",
        `service ${i.name} is ${i.deleting ? "being deleted" : (i.status?.phase ?? "pending")}; bind once it is ready ('berth service info ${i.name} --env ${env}')`,
      );
    const name = req.as ?? i.name;
    const existing = await this.store.bindings.forApp(where.app.id, where.env.id);
    const clash = existing.find((b) => b.name === name || (b.instanceId === i.id && b.state === "active"));
    if (clash)
      throw new DomainError(
        "conflict",
        clash.name === name
          ? `${app} already has a binding named ${name} in ${env}; choose another with --as`
          : `${app} is already bound to ${i.name} in ${env} (as ${clash.name})`,
        "as",
      );
    const module = await this.moduleOf(i);
    const m = module.manifest;
    const username = usernameFor(app);
    const password = randomAlphanumeric(32);
    const made = await this.makeCredentials(i, module, name, username, password);
    const vars = { ...this.variables(i, module), ...bindingVariables({ name, username, password }) };
    const at = { tenant, env, instance: i.name };
    try {
      const outcome = await this.writes.run(
        { tenant, object: { kind: "binding", name: `${app}/${name}` }, env, change: { service: i.name } },
        async (tx) => {
          await tx.bindings.create(
            { instanceId: i.id, appId: where.app.id, envId: where.env.id, name, username },
            (id) => sealBindingCredentials(this.box, id, made),
          );
          return this.roll(tx, where, `binding ${name} to ${i.name}`);
        },
      );
      this.reconciler.enqueue(appKey({ tenant, env, app }));
      return { ...outcome, binding: await this.bindingView(where, name) };
    } catch (error) {
      // Nothing was stored: the user the hook made must not outlive the refusal.
      if (m.binding.delete)
        await this.hooks
          .run(hookJob(m, module, at, m.binding.delete, m.binding.service, "unbind", vars))
          .catch(() => undefined);
      throw error;
    }
  }

  async unbind(tenant: string, env: string, app: string, binding: string): Promise<BindOutcome> {
    const where = await findAppInEnv(this.store, tenant, env, app);
    await refuseDuringCanary(this.store, where);
    const all = await this.store.bindings.forApp(where.app.id, where.env.id);
    const b = all.find((x) => x.state === "active" && (x.name === binding || x.instance === binding));
    if (!b) throw new DomainError("not_found", `${app} has no binding ${binding} in ${env}`);
    const outcome = await this.writes.run(
      { tenant, object: { kind: "binding", name: `${app}/${b.name}` }, env, change: { deleted: true } },
      async (tx) => {
        await tx.bindings.revoke(b.id, null);
        const rolled = await this.roll(tx, where, `unbinding ${b.name}`);
        // Its user is dropped once the app serves the release without it (or at once: none runs).
        await tx.bindings.revoke(b.id, rolled.release);
        return rolled;
      },
    );
    this.reconciler.enqueue(appKey({ tenant, env, app }));
    this.reconciler.enqueue(instanceKey(tenant, env, b.instance));
    return { ...outcome, binding: await this.bindingView(where, b.name) };
  }

  /**
   * New credentials for a binding: the module makes a new user, the app rolls out with it, and
   * the old user is revoked only once no replica of the app still uses it, so no request fails.
   */
  async rotate(tenant: string, env: string, app: string, binding: string): Promise<BindOutcome> {
    const where = await findAppInEnv(this.store, tenant, env, app);
    await refuseDuringCanary(this.store, where);
    const b = (await this.store.bindings.forApp(where.app.id, where.env.id)).find(
      (x) => x.state === "active" && (x.name === binding || x.instance === binding),
    );
    if (!b) throw new DomainError("not_found", `${app} has no binding ${binding} in ${env}`);
    const i = await this.store.instances.byId(b.instanceId);
    if (!i || i.deleting || i.status?.phase !== "ready")
      throw new DomainError("conflict", `service ${b.instance} is not ready; rotate once it is`);
    const module = await this.moduleOf(i);
    const m = module.manifest;
    if (!m.binding.create)
      throw new DomainError(
        "invalid",
        `${m.id} bindings share the service's access (the module makes no user per binding); there is nothing to rotate`,
      );
    const username = usernameFor(app);
    const password = randomAlphanumeric(32);
    const made = await this.makeCredentials(i, module, b.name, username, password);
    const at = { tenant, env, instance: i.name };
    try {
      const outcome = await this.writes.run(
        { tenant, object: { kind: "binding", name: `${app}/${b.name}` }, env, change: { rotated: true } },
        async (tx) => {
          // The old user, kept until the app no longer runs a release that has it.
          const old = await tx.bindings.create(
            {
              instanceId: i.id,
              appId: where.app.id,
              envId: where.env.id,
              name: `${b.name}~${b.id}-${Date.now()}`,
              username: b.username,
            },
            () => "",
          );
          await tx.bindings.revoke(old, null);
          await tx.bindings.setCredentials(b.id, sealBindingCredentials(this.box, b.id, made), username);
          const rolled = await this.roll(tx, where, `new credentials for ${b.name}`);
          await tx.bindings.revoke(old, rolled.release);
          return rolled;
        },
      );
      this.reconciler.enqueue(appKey({ tenant, env, app }));
      this.reconciler.enqueue(instanceKey(tenant, env, i.name));
      return { ...outcome, binding: await this.bindingView(where, b.name) };
    } catch (error) {
      if (m.binding.delete)
        await this.hooks
          .run(
            hookJob(m, module, at, m.binding.delete, m.binding.service, "unbind", {
              ...this.variables(i, module),
              ...bindingVariables({ name: b.name, username, password }),
            }),
          )
          .catch(() => undefined);
      throw error;
    }
  }

  async list(tenant: string, env: string, app: string): Promise<ServiceBinding[]> {
    const where = await findAppInEnv(this.store, tenant, env, app);
    const all = await this.store.bindings.forApp(where.app.id, where.env.id);
    // A rotation's old user (name~...) is an implementation detail until it is revoked.
    return all
      .filter((b) => !b.name.includes("~"))
      .map((b) => ({
        app,
        service: b.instance,
        name: b.name,
        env,
        state: b.state,
        createdAt: b.createdAt,
        rotatedAt: b.rotatedAt,
      }));
  }

  /** A new release of the app's current image with the bindings as they stand in `tx`. */
  private async roll(
    tx: Store,
    where: AppInEnv,
    what: string,
  ): Promise<{ release: number | null; eventCursor: number }> {
    const current = await currentRelease(tx, where);
    if (!current) return { release: null, eventCursor: 0 };
    const image = await this.images.inspectImage(current.image_id);
    const made = await this.releases.make(tx, where, {
      image: current.image,
      imageId: current.image_id,
      exposedPorts: image?.exposedPorts ?? [],
      source: "config",
      releaseValues: current.release_values,
    });
    return startRollout(tx, where, made, {
      replicas: made.snapshot.replicas,
      healthTimeout: made.snapshot.resources.healthTimeout,
      what: `${current.image} with ${what}`,
    });
  }

  private async bindingView(where: AppInEnv, name: string): Promise<ServiceBinding> {
    const b = (await this.store.bindings.forApp(where.app.id, where.env.id)).find((x) => x.name === name);
    return {
      app: where.app.name,
      service: b?.instance ?? "",
      name,
      env: where.env.name,
      state: b?.state ?? "revoking",
      createdAt: b?.createdAt ?? new Date().toISOString(),
      rotatedAt: b?.rotatedAt ?? null,
    };
  }

  /**
   * Runs the module's create hook for a user of the binding's own (none for modules without
   * per-binding users) and renders what the binding holds: its files and env vars.
   */
  private async makeCredentials(
    i: ServiceInstanceRecord,
    module: CapabilityModuleRecord,
    name: string,
    username: string,
    password: string,
  ): Promise<BindingCredentials> {
    const m = module.manifest;
    const vars = { ...this.variables(i, module), ...bindingVariables({ name, username, password }) };
    const at = { tenant: i.tenant, env: i.env, instance: i.name };
    if (m.binding.create) {
      const done = await this.hooks.run(
        hookJob(m, module, at, m.binding.create, m.binding.service, "bind", vars),
      );
      if (!done.ok)
        throw new DomainError(
          "failed",
          `binding ${name} was not made: the ${m.id} module's bind hook ${done.timedOut ? "timed out" : `exited ${done.exitCode}`}${done.tail ? `: ${done.tail.split("\n").slice(-3).join(" | ")}` : ""}`,
        );
    }
    const files = {
      type: m.binding.type,
      provider: m.binding.provider,
      ...resolveConfig({ values: m.binding.credentials, secrets: new Set(), facts: vars }).values,
    };
    const credentialVars = Object.fromEntries(
      Object.entries(files).map(([k, v]) => [`CREDENTIAL_${credentialVariable(k)}`, v]),
    );
    const env = resolveConfig({
      values: m.binding.env,
      secrets: new Set(),
      facts: { ...vars, ...credentialVars },
    }).values;
    return { password, files, env };
  }

  private async moduleOf(i: ServiceInstanceRecord): Promise<CapabilityModuleRecord> {
    const module = await this.store.modules.byId(i.moduleId);
    if (!module) throw new Error(`service instance ${i.id} names module ${i.moduleId}, which is gone`);
    return module;
  }

  private variables(i: ServiceInstanceRecord, module: CapabilityModuleRecord): Record<string, string> {
    return instanceVariables(module.manifest, {
      instance: i.name,
      plan: planOf(module.manifest, i.plan),
      params: i.parameters,
      secrets: openInstanceSecrets(this.box, i),
    });
  }
}
