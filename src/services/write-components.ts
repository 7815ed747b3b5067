import { referencesOf, resolveConfig } from "../config/render-template.js";
import { entryContext } from "../config/sealing-contexts.js";
import { DomainError } from "../domain/domain-error.js";
import { appKey } from "../domain/labels.js";
import type { SecretBox } from "../domain/secret-box.js";
import { SETTING_SHAPES, type SettingName } from "../domain/settings.js";
import { componentName, instanceVariables } from "../formats/module-variables.js";
import type { CapabilityModuleRecord } from "../store/capability-module-repository.js";
import type { EnvironmentRow } from "../store/environment-repository.js";
import type { Store } from "../store/store.js";
import type { TenantRow } from "../store/tenant-repository.js";
import type { ModuleImageSet } from "./module-images.js";
import type { ReleaseMaker } from "./release-maker.js";
import { startRollout } from "./start-rollout.js";

/** A template's text as a literal for the release resolver: `$` doubles, so nothing in it is evaluated again. */
// A function, so "$$" is not read as a replacement pattern (which would make it one "$").
const literal = (text: string) => text.replace(/\$/g, () => "$$");

/**
 * Each module service as a component app in the environment: its settings and resolved env
 * (secret where a template reads a secret) in its app-env layer, and a release of its image.
 * Written whole every time, so an update is the same write with other values. Returns the
 * component apps' reconciler keys.
 */
export async function writeComponents(
  tx: Store,
  box: SecretBox,
  releases: ReleaseMaker,
  te: { tenant: TenantRow; env: EnvironmentRow },
  module: CapabilityModuleRecord,
  images: ModuleImageSet,
  f: {
    instance: string;
    plan: { name: string; cpus: number; memoryMb: number };
    params: Record<string, unknown>;
    secrets: Record<string, string>;
  },
): Promise<string[]> {
  const m = module.manifest;
  const vars = instanceVariables(m, f);
  const keys: string[] = [];
  for (const [service, s] of Object.entries(m.services)) {
    const name = componentName(m, f.instance, service);
    const app = (await tx.apps.find(te.tenant.id, name)) ?? (await tx.apps.create(te.tenant.id, name, m.id));
    const where = { tenant: te.tenant, env: te.env, app };
    const scope = { tenantId: te.tenant.id, appId: app.id, envId: te.env.id };
    const layer = await tx.config.layer(scope);
    await tx.config.deleteEntries(
      scope,
      layer.entries.map((x) => x.key),
    );
    for (const setting of layer.settings) await tx.config.deleteSetting(scope, setting.name);
    const resolved = resolveConfig({ values: s.env, secrets: new Set(), facts: vars }).values;
    for (const [key, text] of Object.entries(s.env)) {
      const secret = referencesOf(text, key).some((r) => r.startsWith("SECRET_"));
      const value = literal(resolved[key] ?? "");
      const stored = secret
        ? box.seal(value, entryContext({ tenant_id: te.tenant.id, app_id: app.id, env_id: te.env.id, key }))
        : value;
      await tx.config.putEntry(scope, key, secret, stored);
    }
    const replicas = typeof s.replicas === "number" ? s.replicas : Number(f.params[s.replicas.param]);
    const settings: Record<string, unknown> = {
      port: s.port,
      healthCheck: "tcp",
      healthTimeout: s.startTimeout,
      restart: "unless-stopped",
      replicas,
      // A service's share of the plan is split over its replicas.
      cpus: Math.max(0.01, Math.round(((f.plan.cpus * s.share) / Math.max(1, replicas)) * 100) / 100),
      memoryMb: Math.max(6, Math.floor((f.plan.memoryMb * s.share) / Math.max(1, replicas))),
      // A service on a volume never runs twice: the old release stops before the new starts.
      strategy: s.volumes.length > 0 ? "stop-first" : "rolling",
      ...(s.command ? { command: s.command } : {}),
      ...(s.volumes.length > 0
        ? { volumes: s.volumes.map((v) => ({ name: `${f.instance}-${v.name}`, path: v.path })) }
        : {}),
      ...(s.privileged ? { privileged: true } : {}),
      ...(s.capAdd.length > 0 ? { capAdd: s.capAdd } : {}),
      ...(s.hostMounts.length > 0 ? { hostMounts: s.hostMounts } : {}),
    };
    // Judged like any app's settings (a volume name the instance's name makes too long, a host
    // path with '..'), so nothing the resolver would drop silently is ever stored.
    for (const [setting, value] of Object.entries(settings)) {
      const checked = SETTING_SHAPES[setting as SettingName].safeParse(value);
      if (!checked.success)
        throw new DomainError(
          "invalid",
          `service '${f.instance}' cannot run ${m.id}'s ${service}: ${setting}: ${checked.error.issues[0]?.message ?? "invalid"}`,
          "name",
        );
      await tx.config.putSetting(scope, setting, checked.data);
    }
    const image = images[s.image];
    if (!image) throw new Error(`module ${m.id} has no built image ${s.image}`);
    const made = await releases.make(tx, where, {
      image: image.tag,
      imageId: image.id,
      exposedPorts: [],
      source: "image",
    });
    await startRollout(tx, where, made, {
      replicas: made.snapshot.replicas,
      healthTimeout: made.snapshot.resources.healthTimeout,
      what: `${m.id} ${module.version} (${service})`,
    });
    keys.push(appKey({ tenant: te.tenant.name, env: te.env.name, app: name }));
  }
  return keys;
}
