import { openInstanceSecrets } from "../config/sealed-service-values.js";
import type { CapabilityManifest } from "../domain/capability-module.js";
import type { JobSpec } from "../domain/job.js";
import type { SecretBox } from "../domain/secret-box.js";
import type { Engine } from "../engines/engine.js";
import { hookJob } from "../formats/hook-job.js";
import {
  bindingVariables,
  componentName,
  instanceVariables,
  volumesOf,
} from "../formats/module-variables.js";
import type { CapabilityModuleRecord } from "../store/capability-module-repository.js";
import type { ServiceBindingRecord } from "../store/service-binding-repository.js";
import type { ServiceInstanceRecord } from "../store/service-instance-repository.js";
import type { Store } from "../store/store.js";
import type { SyncResult } from "./keyed-work-queue.js";
import type { SyncHandler } from "./sync-handler.js";

/** What an instance's reconciler asks of the services: its components taken out (spec writes stay there). */
export interface InstanceComponents {
  removeComponents(instanceId: number): Promise<string[]>;
}

export interface HookRunnerPort {
  run(spec: JobSpec): Promise<{ ok: boolean; exitCode: number | null; timedOut: boolean; tail: string }>;
}

const WAIT_MS = 1000;
/** How long a provision may take before it fails: its slowest component's start deadline, and the ready check's. */
const deadlineMs = (m: CapabilityManifest) =>
  (Math.max(...Object.values(m.services).map((s) => s.startTimeout)) + 30) * 1000;

/**
 * Converges one service instance (key `instance/TENANT/ENV/NAME`). Provisioning: waits for every
 * component deployment to serve all its replicas, then for the module's ready hook, and records
 * ready; a component that fails (or a deadline passed) fails the provision, and its components
 * and secrets are taken away so nothing is left behind but the record of why. Deleting: waits
 * for the components' replicas to stop, removes the volumes (unless kept) and the record.
 * Unbound bindings: the delete hook runs once the app no longer serves a release that had them.
 * Writes only status (instance_status, the operations) and collects what is already unwanted.
 */
export class InstanceSync implements SyncHandler {
  readonly kind = "instance";

  constructor(
    private readonly store: Store,
    private readonly engine: Pick<Engine, "listWorkloads" | "removeVolume">,
    private readonly hooks: HookRunnerPort,
    private readonly box: SecretBox,
    private readonly components: InstanceComponents,
    private readonly onLog: (line: string) => void = () => {},
    private readonly now: () => number = Date.now,
  ) {}

  async keys(): Promise<string[]> {
    return (await this.store.instances.listAll()).map((i) => `instance/${i.tenant}/${i.env}/${i.name}`);
  }

  async sync(name: string): Promise<SyncResult | undefined> {
    const [tenant, env, instance, ...rest] = name.split("/");
    if (!tenant || !env || !instance || rest.length > 0) return undefined;
    const i = await this.store.instances.byNames(tenant, env, instance);
    if (!i) return undefined;
    const module = await this.store.modules.byId(i.moduleId);
    if (!module) return undefined;
    if (i.deleting) return this.collect(i, module);
    const revoking = await this.revokeUnbound(i, module);
    const provisioned = await this.provision(i, module);
    return provisioned ?? revoking;
  }

  private async provision(
    i: ServiceInstanceRecord,
    module: CapabilityModuleRecord,
  ): Promise<SyncResult | undefined> {
    const m = module.manifest;
    if (i.status?.phase === "failed") return this.collectFailed(i, m);
    if (i.status?.phase === "ready" && i.status.observedGeneration === i.generation) return undefined;
    const op = await this.store.operations.open(i.id);
    const waiting: string[] = [];
    for (const service of Object.keys(m.services)) {
      const app = componentName(m, i.name, service);
      const d = await this.store.deployments.findByNames(i.tenant, i.env, app);
      if (!d) return this.fail(i, op?.id, `its ${service} component is gone`);
      if (d.phase === "failed") return this.fail(i, op?.id, `${service}: ${d.message}`);
      if (d.phase !== "serving" || d.ready_replicas < d.replicas)
        waiting.push(`${service} ${d.ready_replicas}/${d.replicas} ready`);
    }
    const started = Date.parse(i.updatedAt);
    if (this.now() - started > deadlineMs(m))
      return this.fail(
        i,
        op?.id,
        `not ready within ${deadlineMs(m) / 1000}s (${waiting.join(", ") || i.status?.message || "its ready check kept failing"})`,
      );
    // Ready once; a later change of plan or parameters is an update until it is ready again.
    const phase = i.status?.readyAt ? "updating" : "provisioning";
    if (waiting.length > 0) {
      await this.status(i, phase, `waiting for ${waiting.join(", ")}`, op?.id);
      return { requeueAfterMs: WAIT_MS };
    }
    // Every service's own ready check, each try at most 30 s: a pass must not hold the queue.
    for (const [service, s] of Object.entries(m.services)) {
      const ready = s.ready.command;
      if (!ready) continue;
      const hook = {
        ...ready,
        image: ready.image ?? s.image,
        timeoutSeconds: Math.min(ready.timeoutSeconds, 30),
      };
      const done = await this.hooks.run(this.job(i, module, hook, `ready-${service}`.slice(0, 40), {}));
      if (!done.ok) {
        const why = done.tail.split("\n").pop() || `exit ${done.exitCode}`;
        await this.status(i, phase, `waiting for the ready check of ${service} (${why})`, op?.id);
        return { requeueAfterMs: WAIT_MS };
      }
    }
    await this.store.transaction(async (tx) => {
      await tx.instanceStatus.write(i.id, {
        phase: "ready",
        message: "ready",
        observedGeneration: i.generation,
        readyAt: new Date(this.now()).toISOString(),
      });
      if (op) await tx.operations.finish(op.id, "succeeded", "ready");
    });
    this.onLog(`service ${i.tenant}/${i.env}/${i.name}: ready`);
    return undefined;
  }

  /**
   * A failed provision: the record says why; its components, volumes and secrets go. A failed
   * update takes nothing away: the instance keeps its data and says the update failed.
   */
  private async fail(
    i: ServiceInstanceRecord,
    opId: number | undefined,
    reason: string,
  ): Promise<SyncResult | undefined> {
    if (i.status?.readyAt) {
      await this.store.transaction(async (tx) => {
        await tx.instanceStatus.write(i.id, {
          phase: "ready",
          message: `the last update failed: ${reason}`,
          observedGeneration: i.generation,
        });
        if (opId !== undefined) await tx.operations.finish(opId, "failed", reason);
      });
      this.onLog(`service ${i.tenant}/${i.env}/${i.name}: update failed: ${reason}`);
      return undefined;
    }
    await this.store.transaction(async (tx) => {
      await tx.instanceStatus.write(i.id, {
        phase: "failed",
        message: reason,
        observedGeneration: i.generation,
      });
      if (opId !== undefined) await tx.operations.finish(opId, "failed", reason);
    });
    this.onLog(`service ${i.tenant}/${i.env}/${i.name}: failed: ${reason}`);
    await this.components.removeComponents(i.id);
    return { requeueAfterMs: WAIT_MS };
  }

  /** What a failed provision left: once its replicas have stopped, its volumes go too. */
  private async collectFailed(
    i: ServiceInstanceRecord,
    m: CapabilityManifest,
  ): Promise<SyncResult | undefined> {
    // Idempotent: a crash between recording the failure and taking the components away ends here.
    if (i.sealedSecrets !== "") await this.components.removeComponents(i.id);
    if ((await this.running(i, m)) > 0) return { requeueAfterMs: WAIT_MS };
    for (const name of volumesOf(m, i.name))
      await this.engine.removeVolume({ tenant: i.tenant, env: i.env, name });
    return undefined;
  }

  private async running(i: ServiceInstanceRecord, m: CapabilityManifest): Promise<number> {
    let running = 0;
    for (const service of Object.keys(m.services))
      running += (
        await this.engine.listWorkloads({
          tenant: i.tenant,
          env: i.env,
          app: componentName(m, i.name, service),
        })
      ).length;
    return running;
  }

  private async status(i: ServiceInstanceRecord, phase: string, message: string, opId: number | undefined) {
    if (i.status?.phase !== phase || i.status.message !== message)
      await this.store.instanceStatus.write(i.id, { phase, message });
    if (opId !== undefined) await this.store.operations.progress(opId, message);
  }

  /** Deleting (or a failed provision being cleaned): replicas first, then volumes, then the record. */
  private async collect(
    i: ServiceInstanceRecord,
    module: CapabilityModuleRecord,
  ): Promise<SyncResult | undefined> {
    const m = module.manifest;
    const running = await this.running(i, m);
    if (running > 0) {
      const op = await this.store.operations.open(i.id);
      await this.status(i, "deleting", `waiting for ${running} replica(s) to stop`, op?.id);
      return { requeueAfterMs: WAIT_MS };
    }
    if (!i.keepVolume)
      for (const name of volumesOf(m, i.name))
        await this.engine.removeVolume({ tenant: i.tenant, env: i.env, name });
    await this.store.instances.remove(i.id);
    this.onLog(`service ${i.tenant}/${i.env}/${i.name}: deleted${i.keepVolume ? " (volumes kept)" : ""}`);
    return undefined;
  }

  /** Unbound bindings whose app no longer serves a release that has them: their users are dropped. */
  private async revokeUnbound(
    i: ServiceInstanceRecord,
    module: CapabilityModuleRecord,
  ): Promise<SyncResult | undefined> {
    const revoking = (await this.store.bindings.forInstance(i.id)).filter((b) => b.state === "revoking");
    let later = false;
    for (const b of revoking) {
      if (!(await this.unused(i, b))) {
        later = true;
        continue;
      }
      const hook = module.manifest.binding.delete;
      if (hook) {
        const done = await this.hooks.run(
          this.job(
            i,
            module,
            hook,
            "unbind",
            bindingVariables({ name: b.name, username: b.username, password: "" }),
          ),
        );
        if (!done.ok) {
          this.onLog(
            `service ${i.name}: unbind hook for ${b.app}/${b.name} failed (exit ${done.exitCode}); retrying`,
          );
          later = true;
          continue;
        }
      }
      await this.store.bindings.remove(b.id);
    }
    return later ? { requeueAfterMs: WAIT_MS } : undefined;
  }

  private async unused(i: ServiceInstanceRecord, b: ServiceBindingRecord): Promise<boolean> {
    if (b.revokeAfterRelease === null) return true;
    const d = await this.store.deployments.findByNames(i.tenant, i.env, b.app);
    return !d || (d.serving_release !== null && d.serving_release >= b.revokeAfterRelease);
  }

  private job(
    i: ServiceInstanceRecord,
    module: CapabilityModuleRecord,
    hook: Parameters<typeof hookJob>[3],
    purpose: string,
    extra: Record<string, string>,
  ): JobSpec {
    const m: CapabilityManifest = module.manifest;
    const plan = m.plans[i.plan] ?? Object.values(m.plans)[0] ?? { cpus: 1, memoryMb: 256 };
    const vars = instanceVariables(m, {
      instance: i.name,
      plan,
      params: i.parameters,
      secrets: openInstanceSecrets(this.box, i),
    });
    return hookJob(
      m,
      module,
      { tenant: i.tenant, env: i.env, instance: i.name },
      hook,
      m.binding.service,
      purpose,
      {
        ...vars,
        ...extra,
      },
    );
  }
}
