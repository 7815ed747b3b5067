import { DomainError } from "../domain/domain-error.js";
import { MANIFEST_API_VERSION, type Manifest, type ManifestAppEnv } from "../domain/manifest.js";
import type { Settings } from "../domain/settings.js";
import type { Store } from "../store/store.js";
import type { LayerSpec } from "./apply-layer.js";
import { currentRelease } from "./current-release.js";
import { findTenant } from "./lookup.js";

/** A tenant as berth.yaml: layers as set (secrets as 'keep'), and per environment the live image, routes and canary. */
export async function exportManifest(store: Store, tenant: string, env?: string): Promise<Manifest> {
  const t = await findTenant(store, tenant);
  const envs = (await store.environments.list(t.id)).filter((e) => env === undefined || e.name === env);
  if (env !== undefined && envs.length === 0)
    throw new DomainError("not_found", `environment '${env}' does not exist in tenant '${tenant}'`, "env");
  const apps = await store.apps.list(t.id);
  const m: Manifest = {
    apiVersion: MANIFEST_API_VERSION,
    tenant,
    ...(await exportLayer(store, t.id, 0, 0, false)),
  };
  const environments: NonNullable<Manifest["environments"]> = {};
  for (const e of envs) environments[e.name] = await exportLayer(store, t.id, 0, e.id, false);
  if (envs.length > 0) m.environments = environments;
  const out: NonNullable<Manifest["apps"]> = {};
  for (const a of apps) {
    const app: NonNullable<Manifest["apps"]>[string] = await exportLayer(store, t.id, a.id, 0, true);
    const appEnvs: Record<string, ManifestAppEnv> = {};
    for (const e of envs) {
      const where = { tenant: t, env: e, app: a };
      const spec: ManifestAppEnv = await exportLayer(store, t.id, a.id, e.id, true);
      const current = await currentRelease(store, where);
      if (current) spec.image = current.image;
      const routes = await store.appRoutes.list(a.id, e.id);
      if (routes.length > 0)
        spec.routes = routes.map((r) => ({
          host: r.host,
          path: r.path,
          tls: r.tls as "none" | "internal" | "uploaded",
          redirectHttps: r.redirect_https,
        }));
      const canary = await store.canaries.findActive(a.id, e.id);
      const canaryRelease = canary ? await store.releases.find(a.id, e.id, canary.release) : undefined;
      if (canary && canaryRelease)
        spec.canary = {
          image: canaryRelease.image,
          mode: canary.mode as "canary" | "blue-green",
          rules: canary.rules,
          ...(canary.rollout ? { rollout: canary.rollout } : {}),
        };
      if (Object.keys(spec).length > 0) appEnvs[e.name] = spec;
    }
    if (Object.keys(appEnvs).length > 0) app.envs = appEnvs;
    out[a.name] = app;
  }
  if (apps.length > 0) m.apps = out;
  return m;
}

async function exportLayer(
  store: Store,
  tenantId: number,
  appId: number,
  envId: number,
  withFiles: boolean,
): Promise<LayerSpec> {
  const rows = await store.config.layer({ tenantId, appId, envId });
  const spec: LayerSpec = {};
  const plain = rows.entries.filter((e) => !e.secret);
  const secret = rows.entries.filter((e) => e.secret);
  if (plain.length > 0) spec.config = Object.fromEntries(plain.map((e) => [e.key, e.value]));
  // References, never values: berth.yaml is meant to live in git.
  if (secret.length > 0) spec.secrets = Object.fromEntries(secret.map((e) => [e.key, "keep" as const]));
  if (rows.settings.length > 0)
    spec.resources = Object.fromEntries(rows.settings.map((s) => [s.name, s.value])) as Settings;
  if (withFiles && rows.files.length > 0)
    spec.files = Object.fromEntries(rows.files.map((f) => [f.path, f.value]));
  return spec;
}
