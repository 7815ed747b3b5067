import type { Readable } from "node:stream";
import { referencesOf, resolveConfig } from "../config/render-template.js";
import { openInstanceSecrets } from "../config/sealed-service-values.js";
import { instanceContext } from "../config/sealing-contexts.js";
import type { CapabilityManifest } from "../domain/capability-module.js";
import { DomainError } from "../domain/domain-error.js";
import { appKey } from "../domain/labels.js";
import type { SecretBox } from "../domain/secret-box.js";
import type {
  CreateServiceRequest,
  ServiceInstance,
  ServiceOperation,
  UpdateServiceRequest,
} from "../domain/service-instance.js";
import { componentName, volumesOf } from "../formats/module-variables.js";
import { validateParameters } from "../formats/validate-parameters.js";
import type { Enqueuer } from "../reconciler/enqueuer.js";
import type { CapabilityModuleRecord } from "../store/capability-module-repository.js";
import type { EnvironmentRow } from "../store/environment-repository.js";
import type { ServiceInstanceRecord } from "../store/service-instance-repository.js";
import type { ServiceOperationRow } from "../store/service-operation-repository.js";
import type { Store } from "../store/store.js";
import type { TenantRow } from "../store/tenant-repository.js";
import type { CatalogService } from "./catalog-service.js";
import { planOf, randomAlphanumeric } from "./instance-values.js";
import { findEnv, findTenant } from "./lookup.js";
import type { ModuleImageSet, ModuleImages } from "./module-images.js";
import type { VolumeLookup } from "./ports.js";
import type { ReleaseMaker } from "./release-maker.js";
import type { RuntimeService } from "./runtime-service.js";
import { startRollout } from "./start-rollout.js";
import { writeComponents } from "./write-components.js";
import { NO_AUDIT, WritePath } from "./write-path.js";

export const instanceKey = (tenant: string, env: string, name: string) => `instance/${tenant}/${env}/${name}`;

/**
 * Service instances of catalog capabilities: `service create|list|info|update|delete`. An
 * instance runs as component apps, one per module service, each a deployment in the instance's
 * environment whose release is made like any app's: through the write path (quotas, isolation)
 * and the app reconciler (stop-first on its volume, health, status). The instance's own
 * reconciler (kind `instance`) judges readiness, runs the module's hooks and collects what a
 * deleted instance leaves.
 */
export class InstanceService {
  constructor(
    private readonly store: Store,
    private readonly reconciler: Enqueuer,
    private readonly box: SecretBox,
    private readonly catalog: CatalogService,
    private readonly images: ModuleImages,
    private readonly releases: ReleaseMaker,
    private readonly runtime: RuntimeService,
    private readonly volumes: VolumeLookup,
    private readonly writes: WritePath = new WritePath(store, NO_AUDIT),
  ) {}

  async create(tenant: string, env: string, req: CreateServiceRequest, by: string): Promise<ServiceInstance> {
    const t = await findTenant(this.store, tenant);
    const e = await findEnv(this.store, t, env);
    const module = await this.catalog.resolve(t.id, req.capability, req.version);
    const m = module.manifest;
    const plan = planOf(m, req.plan);
    const params = validateParameters(m.parameters.create, req.parameters, `${m.id} ${module.version}`);
    const existing = await this.store.instances.find(t.id, e.id, req.name);
    if (existing && existing.status?.phase !== "failed")
      throw new DomainError("conflict", `service '${req.name}' already exists in ${env}`, "name");
    await this.checkNames(t, m, req.name);
    // Data kept with --keep-volume (or a failed instance's, not yet collected) is never reused
    // by a new instance nor removed by its failure: the name waits until the volume is gone.
    const kept = new Set((await this.volumes.listVolumes({ tenant, env })).map((v) => v.name));
    const reused = volumesOf(m, req.name).filter((v) => kept.has(v));
    if (reused.length > 0)
      throw new DomainError(
        "conflict",
        `volume ${reused.join(", ")} of an earlier service '${req.name}' is still in ${env} (kept with --keep-volume, or still being removed); choose another name`,
        "name",
      );
    // The first instance of a module version builds its images (once; later ones find them).
    const images = await this.images.ensure(module);
    const secrets = Object.fromEntries(
      Object.entries(m.secrets).map(([k, s]) => [k, randomAlphanumeric(s.length)]),
    );
    const op = {
      tenant,
      object: { kind: "service", name: req.name },
      env,
      change: { capability: m.id, version: module.version, plan: plan.name, parameters: Object.keys(params) },
    } as const;
    const keys = await this.writes.run(op, async (tx) => {
      // A failed instance of the same name left only its record: the new one takes its place.
      if (existing) await tx.instances.remove(existing.id);
      const id = await tx.instances.create({
        tenantId: t.id,
        envId: e.id,
        name: req.name,
        moduleId: module.id,
        plan: plan.name,
        parameters: params,
        sealedSecrets: this.box.seal(JSON.stringify(secrets), instanceContext(t.id, e.id, req.name)),
        createdBy: by,
      });
      await tx.operations.start(id, "create", by);
      return writeComponents(tx, this.box, this.releases, { tenant: t, env: e }, module, images, {
        instance: req.name,
        plan,
        params,
        secrets,
      });
    });
    this.reconciler.enqueue(instanceKey(tenant, env, req.name));
    for (const key of keys) this.reconciler.enqueue(key);
    return this.info(tenant, env, req.name);
  }

  /** Component names share the tenant's app names: none may be a user's app or another capability's. */
  private async checkNames(t: TenantRow, m: CapabilityManifest, instance: string) {
    for (const service of Object.keys(m.services)) {
      const name = componentName(m, instance, service);
      if (name.length > 63)
        throw new DomainError(
          "invalid",
          `service name '${instance}' is too long for ${m.id}: its component '${name}' must be at most 63 characters`,
          "name",
        );
      const app = await this.store.apps.find(t.id, name);
      // Another instance's component by that name (dask 'x' has 'x-worker'): never taken over.
      for (const other of await this.store.instances.list(t.id)) {
        if (other.name === instance) continue;
        const om = (await this.store.modules.byId(other.moduleId))?.manifest;
        if (om && Object.keys(om.services).some((s) => componentName(om, other.name, s) === name))
          throw new DomainError(
            "conflict",
            `'${name}' is a component of service ${other.name} in ${other.env}; choose another name`,
            "name",
          );
      }
      if (app && app.capability === null)
        throw new DomainError(
          "conflict",
          `tenant ${t.name} has an app named '${name}'; a service instance needs that name for its ${service}`,
          "name",
        );
      if (app && app.capability !== m.id)
        throw new DomainError(
          "conflict",
          `'${name}' is taken by instances of capability ${app.capability} in tenant ${t.name}`,
          "name",
        );
    }
  }

  /**
   * A new plan or new parameters: the components are written again and roll out (a service on a
   * volume restarts in place, stop-first); the instance is ready again once they serve.
   */
  async update(
    tenant: string,
    env: string,
    name: string,
    req: UpdateServiceRequest,
    by: string,
  ): Promise<ServiceInstance> {
    const i = await this.find(tenant, env, name);
    if (i.deleting || i.status?.phase === "failed")
      throw new DomainError(
        "conflict",
        `service ${name} is ${i.deleting ? "being deleted" : "failed"}; nothing to update`,
      );
    const open = await this.store.operations.open(i.id);
    if (open)
      throw new DomainError(
        "conflict",
        `service ${name} has a ${open.kind} under way (operation ${open.id}); wait for it`,
      );
    const module = await this.store.modules.byId(i.moduleId);
    if (!module) throw new Error(`service instance ${i.id} names module ${i.moduleId}, which is gone`);
    const m = module.manifest;
    const plan = planOf(m, req.plan ?? i.plan);
    const changed = validateParameters(
      m.parameters.update,
      req.parameters ?? {},
      `${m.id} ${module.version} update`,
      false,
    );
    // The update's values over the instance's own, judged again as a whole by the create schema.
    const params = validateParameters(
      m.parameters.create,
      { ...i.parameters, ...changed },
      `${m.id} ${module.version}`,
    );
    const images = await this.images.ensure(module);
    const t = await findTenant(this.store, tenant);
    const e = await findEnv(this.store, t, env);
    const op = {
      tenant,
      object: { kind: "service", name },
      env,
      change: { plan: plan.name, parameters: Object.keys(changed) },
    } as const;
    const keys = await this.writes.run(op, async (tx) => {
      await tx.instances.update(i.id, { plan: plan.name, parameters: params });
      await tx.operations.start(i.id, "update", by);
      return writeComponents(tx, this.box, this.releases, { tenant: t, env: e }, module, images, {
        instance: name,
        plan,
        params,
        secrets: openInstanceSecrets(this.box, i),
      });
    });
    this.reconciler.enqueue(instanceKey(tenant, env, name));
    for (const key of keys) this.reconciler.enqueue(key);
    return this.info(tenant, env, name);
  }

  async list(tenant: string, env?: string): Promise<ServiceInstance[]> {
    const t = await findTenant(this.store, tenant);
    const e = env === undefined ? undefined : await findEnv(this.store, t, env);
    const rows = await this.store.instances.list(t.id, e?.id);
    return Promise.all(rows.map((r) => this.view(r)));
  }

  async info(tenant: string, env: string, name: string): Promise<ServiceInstance> {
    return this.view(await this.find(tenant, env, name));
  }

  async operation(tenant: string, env: string, name: string, id: number): Promise<ServiceOperation> {
    const i = await this.find(tenant, env, name);
    const op = await this.store.operations.byId(id);
    if (!op || op.instance_id !== i.id)
      throw new DomainError("not_found", `service ${name} has no operation ${id}`);
    return toOperation(op);
  }

  async find(tenant: string, env: string, name: string): Promise<ServiceInstanceRecord> {
    const t = await findTenant(this.store, tenant);
    const e = await findEnv(this.store, t, env);
    const i = await this.store.instances.find(t.id, e.id, name);
    if (!i)
      throw new DomainError(
        "not_found",
        `service '${name}' does not exist in ${env}; see 'berth service list --env ${env}'`,
      );
    return i;
  }

  /** Every component's log, each line prefixed by its service, release and replica. */
  async logs(tenant: string, env: string, name: string, follow: boolean, tail: number): Promise<Readable> {
    const i = await this.find(tenant, env, name);
    const module = await this.store.modules.byId(i.moduleId);
    const m = module?.manifest;
    const apps = Object.keys(m?.services ?? {}).map((service) => ({
      app: componentName(m as CapabilityManifest, name, service),
      label: `${service} `,
    }));
    return this.runtime.logsOf(
      tenant,
      env,
      apps,
      follow,
      tail,
      `service ${name} has no containers in ${env}\n`,
    );
  }

  /** Deletes the instance: its components leave now, its reconciler collects volumes and record. */
  async delete(
    tenant: string,
    env: string,
    name: string,
    keepVolume: boolean,
    by: string,
  ): Promise<ServiceInstance> {
    const i = await this.find(tenant, env, name);
    const bound = (await this.store.bindings.forInstance(i.id)).filter((b) => b.state === "active");
    if (bound.length > 0)
      throw new DomainError(
        "conflict",
        `service ${name} is bound to ${bound.map((b) => b.app).join(", ")} in ${env}; unbind first ('berth unbind ${bound[0]?.app} ${name} --env ${env}')`,
      );
    const keys = await this.writes.run(
      { tenant, object: { kind: "service", name }, env, change: { deleted: true, keepVolume } },
      async (tx) => {
        await tx.instances.markDeleting(i.id, keepVolume);
        await tx.operations.start(i.id, "delete", by);
        return this.removeComponentsIn(tx, i);
      },
    );
    this.reconciler.enqueue(instanceKey(tenant, env, name));
    for (const key of keys) this.reconciler.enqueue(key);
    return this.info(tenant, env, name);
  }

  /**
   * Takes the instance's components out of its environment (a component app no other
   * environment runs goes too); the app reconciler retires their replicas. For a failed
   * provision, the instance's reconciler calls this too, and drops the instance's secrets.
   */
  async removeComponents(instanceId: number): Promise<string[]> {
    const i = await this.store.instances.byId(instanceId);
    if (!i) return [];
    const keys = await this.store.transaction(async (tx) => {
      await tx.instances.dropSecrets(i.id);
      return this.removeComponentsIn(tx, i);
    });
    for (const key of keys) this.reconciler.enqueue(key);
    return keys;
  }

  private async removeComponentsIn(tx: Store, i: ServiceInstanceRecord): Promise<string[]> {
    const module = await tx.modules.byId(i.moduleId);
    if (!module) return [];
    const keys: string[] = [];
    for (const service of Object.keys(module.manifest.services)) {
      const name = componentName(module.manifest, i.name, service);
      const app = await tx.apps.find(i.tenantId, name);
      if (!app || app.capability === null) continue;
      await tx.deployments.removeFromEnv(app.id, i.envId);
      if ((await tx.deployments.listForApp(app.id)).length === 0) await tx.apps.delete(app.id);
      keys.push(appKey({ tenant: i.tenant, env: i.env, app: name }));
    }
    return keys;
  }

  private async view(i: ServiceInstanceRecord): Promise<ServiceInstance> {
    const module = await this.store.modules.byId(i.moduleId);
    const m = module?.manifest;
    const components = [];
    for (const [service, s] of Object.entries(m?.services ?? {})) {
      const app = componentName(m as CapabilityManifest, i.name, service);
      const d = await this.store.deployments.findByNames(i.tenant, i.env, app);
      components.push({
        service,
        app,
        replicas: d?.replicas ?? 0,
        readyReplicas: d?.ready_replicas ?? 0,
        phase: d ? d.phase : i.deleting ? "removed" : "absent",
      });
      void s;
    }
    const bindings = await this.store.bindings.forInstance(i.id);
    const [op] = await this.store.operations.latest(i.id, 1);
    const phase = i.deleting ? "deleting" : ((i.status?.phase ?? "pending") as ServiceInstance["phase"]);
    const bindingService = m ? m.services[m.binding.service] : undefined;
    return {
      tenant: i.tenant,
      env: i.env,
      name: i.name,
      capability: i.capability,
      version: i.moduleVersion,
      plan: i.plan,
      parameters: i.parameters,
      phase,
      message: i.status?.message ?? "waiting for its reconciler",
      host: m ? componentName(m, i.name, m.binding.service) : i.name,
      port: bindingService?.port ?? 0,
      components,
      bindings: bindings
        .filter((b) => !b.name.includes("~"))
        .map((b) => ({
          app: b.app,
          service: i.name,
          name: b.name,
          env: i.env,
          state: b.state,
          createdAt: b.createdAt,
          rotatedAt: b.rotatedAt,
        })),
      operation: op ? toOperation(op) : null,
      createdAt: i.createdAt,
      readyAt: i.status?.readyAt ?? null,
    };
  }
}

export const toOperation = (op: ServiceOperationRow): ServiceOperation => ({
  id: op.id,
  kind: op.kind,
  state: op.state as ServiceOperation["state"],
  reason: op.reason,
  requestedBy: op.requested_by,
  createdAt: op.created_at,
  finishedAt: op.finished_at,
});
