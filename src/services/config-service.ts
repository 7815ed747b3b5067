import { diffSnapshots, type SnapshotView } from "../config/diff-snapshots.js";
import { effective, layerOf } from "../config/layer-of.js";
import { referencesOf } from "../config/render-template.js";
import { DEFAULTS, type ReleaseSnapshot, resolveSettings, resourcesFrom } from "../config/resolve-release.js";
import { entryContext } from "../config/sealing-contexts.js";
import {
  type ConfigChangeRequest,
  type ConfigChangeResult,
  type ConfigDiff,
  type ConfigEntry,
  type ConfigFileRemoveRequest,
  type ConfigFileRequest,
  type ConfigListing,
  type ConfigScope,
  SECRET_MASK,
} from "../domain/config.js";
import { DomainError } from "../domain/domain-error.js";
import { appKey } from "../domain/labels.js";
import type { SecretBox } from "../domain/secret-box.js";
import type { ReleaseResources, SettingsPatch } from "../domain/settings.js";
import type { Enqueuer } from "../reconciler/enqueuer.js";
import type { LayerScope } from "../store/config-repository.js";
import type { Store } from "../store/store.js";
import { currentRelease } from "./current-release.js";
import { refuseDuringCanary } from "./deploy-service.js";
import { layerName } from "./layer-name.js";
import { findApp, findAppInEnv, findEnv, findTenant } from "./lookup.js";
import type { ImageLookup } from "./ports.js";
import type { ReleaseMaker } from "./release-maker.js";
import { rollAffected } from "./roll-affected.js";
import { type ChangeValue, NO_AUDIT, type WriteOp, WritePath } from "./write-path.js";

/**
 * Layered config, secrets, files and settings. Every change is checked against every deployment
 * it reaches before anything is written, and (unless staged) rolls out as a new release.
 */
export class ConfigService {
  constructor(
    private readonly store: Store,
    private readonly images: ImageLookup,
    private readonly reconciler: Enqueuer,
    private readonly releases: ReleaseMaker,
    private readonly box: SecretBox,
    private readonly writes: WritePath = new WritePath(store, NO_AUDIT),
  ) {}

  async change(tenant: string, req: ConfigChangeRequest): Promise<ConfigChangeResult> {
    const both = Object.keys(req.values ?? {}).filter((k) => Object.hasOwn(req.secrets ?? {}, k));
    if (both.length > 0)
      throw new DomainError("invalid", `${both[0]} is given both as a value and as a secret`, both[0]);
    const unsetClash = (req.unset ?? []).find(
      (k) => Object.hasOwn(req.values ?? {}, k) || Object.hasOwn(req.secrets ?? {}, k),
    );
    if (unsetClash) throw new DomainError("invalid", `${unsetClash} is both set and unset`, unsetClash);
    const scope = await this.scope(tenant, req);
    // Names only: a value may be sensitive even when not declared secret.
    const change = {
      set: Object.keys(req.values ?? {}),
      secrets: Object.keys(req.secrets ?? {}),
      unset: req.unset,
      stage: req.stage,
    };
    return this.changeLayer(tenant, req, req.stage ?? false, change, async (tx) => {
      let changed = 0;
      for (const [key, value] of Object.entries(req.values ?? {})) {
        await tx.config.putEntry(scope, key, false, value);
        changed++;
      }
      for (const [key, value] of Object.entries(req.secrets ?? {})) {
        const sealed = this.box.seal(value, entryContext({ ...cols(scope), key }));
        await tx.config.putEntry(scope, key, true, sealed);
        changed++;
      }
      const removed = await tx.config.deleteEntries(scope, req.unset ?? []);
      if (req.unset && removed < req.unset.length) {
        const present = new Set((await tx.config.layer(scope)).entries.map((e) => e.key));
        const missing = req.unset.filter((k) => !present.has(k));
        if (removed === 0 && missing.length === req.unset.length)
          throw new DomainError(
            "not_found",
            `${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} not set in ${layerName(req.app, req.env)}`,
            missing[0],
          );
      }
      return changed + removed;
    });
  }

  async putFile(tenant: string, req: ConfigFileRequest): Promise<ConfigChangeResult> {
    const scope = await this.scope(tenant, req);
    renderCheck(req.content, `file ${req.path}`);
    return this.changeLayer(tenant, req, req.stage ?? false, { file: req.path }, async (tx) => {
      await tx.config.putFile(scope, req.path, req.content);
      return 1;
    });
  }

  async removeFile(tenant: string, req: ConfigFileRemoveRequest): Promise<ConfigChangeResult> {
    const scope = await this.scope(tenant, req);
    return this.changeLayer(tenant, req, req.stage ?? false, { removeFile: req.path }, async (tx) => {
      const n = await tx.config.deleteFile(scope, req.path);
      if (n === 0)
        throw new DomainError("not_found", `no file ${req.path} in ${layerName(req.app, req.env)}`, "path");
      return n;
    });
  }

  async patchSettings(
    tenant: string,
    req: ConfigScope & { settings: SettingsPatch; stage?: boolean },
  ): Promise<ConfigChangeResult> {
    const scope = await this.scope(tenant, req);
    // Settings are not secret: the summary carries their values (host mounts by their paths).
    const change: Record<string, ChangeValue> = {};
    // A command line may carry a credential (--password=...): only its length is told.
    for (const [name, value] of Object.entries(req.settings))
      change[name] = name === "command" && Array.isArray(value) ? `${value.length} args` : summary(value);
    return this.changeLayer(tenant, req, req.stage ?? false, change, async (tx) => {
      let changed = 0;
      for (const [name, value] of Object.entries(req.settings)) {
        if (value === undefined) continue;
        if (value === null) changed += await tx.config.deleteSetting(scope, name);
        else {
          await tx.config.putSetting(scope, name, value);
          changed++;
        }
      }
      return changed;
    });
  }

  async list(tenant: string, scope: ConfigScope, showSecrets: boolean): Promise<ConfigListing> {
    const layerScope = await this.scope(tenant, scope);
    if (scope.app === undefined || scope.env === undefined) {
      const rows = await this.store.config.layer(layerScope);
      const layer = layerOf({ app_id: scope.app ? 1 : 0, env_id: scope.env ? 1 : 0 });
      return {
        scope,
        entries: rows.entries.map((r) => ({
          key: r.key,
          value: r.secret ? (showSecrets ? this.box.open(r.value, entryContext(r)) : SECRET_MASK) : r.value,
          secret: r.secret,
          layer,
          resolved: null,
        })),
        files: rows.files.map((f) => ({
          path: f.path,
          layer,
          bytes: Buffer.byteLength(f.value),
          content: showSecrets ? f.value : null,
        })),
        problem: null,
      };
    }
    const where = await findAppInEnv(this.store, tenant, scope.env, scope.app);
    const layers = await this.releases.layers(this.store, where);
    const current = await currentRelease(this.store, where);
    const releaseValues = current ? current.release_values : {};
    const winners = effective(
      [
        ...layers.entries,
        ...Object.entries(releaseValues).map(([key, value]) => ({
          layer: "release" as const,
          key,
          secret: false,
          value,
        })),
      ],
      (e) => e.key,
    );
    // Resolved exactly as the next release would be, so what `list` shows is what would run.
    let snapshot: ReleaseSnapshot | undefined;
    let problem: string | null = null;
    try {
      const exposedPorts = current
        ? ((await this.images.inspectImage(current.image_id))?.exposedPorts ?? [])
        : [];
      const next = await this.store.releases.nextNumber(where.app.id, where.env.id);
      snapshot = await this.releases.resolve(this.store, where, { exposedPorts, releaseValues }, next);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      problem = error.message;
    }
    const mask = (value: string | undefined, secret: boolean) =>
      value === undefined ? null : secret && !showSecrets ? SECRET_MASK : value;
    const entries: ConfigEntry[] = [...winners.values()].map((e) => {
      const tainted = snapshot ? Object.hasOwn(snapshot.secretEnv, e.key) : e.secret;
      return {
        key: e.key,
        value: mask(e.value, e.secret) as string,
        secret: e.secret,
        layer: e.layer,
        resolved: mask(snapshot?.env[e.key] ?? snapshot?.secretEnv[e.key], tainted),
      };
    });
    const rendered = new Map<string, { content: string; secret: boolean }>();
    for (const f of snapshot?.files ?? []) rendered.set(f.path, { content: f.content, secret: false });
    for (const f of snapshot?.secretFiles ?? []) rendered.set(f.path, { content: f.content, secret: true });
    const files = [...effective(layers.files, (f) => f.path).values()].map((f) => {
      const out = rendered.get(f.path);
      return {
        path: f.path,
        layer: f.layer,
        bytes: Buffer.byteLength(f.template),
        content: out && !(out.secret && !showSecrets) ? out.content : null,
      };
    });
    return { scope, entries: entries.sort((a, b) => a.key.localeCompare(b.key)), files, problem };
  }

  async settings(
    tenant: string,
    app: string,
    env: string,
  ): Promise<{
    settings: { name: string; value: unknown; layer: string }[];
    replicas: number;
    resources: ReleaseResources | null;
  }> {
    const where = await findAppInEnv(this.store, tenant, env, app);
    const layers = await this.releases.layers(this.store, where);
    const winners = effective(layers.settings, (x) => x.name);
    const current = await currentRelease(this.store, where);
    const exposed = current ? ((await this.images.inspectImage(current.image_id))?.exposedPorts ?? []) : [];
    const resolved = resolveSettings(layers.settings);
    return {
      settings: [...winners.values()].map((x) => ({ name: x.name, value: x.value, layer: x.layer })),
      replicas: resolved.replicas ?? DEFAULTS.replicas,
      resources: resourcesFrom(resolved, exposed.length === 1 ? exposed[0] : undefined),
    };
  }

  /** Between two releases, or (by default) what the next release would change against the live one. */
  async diff(
    tenant: string,
    env: string,
    app: string,
    q: { from?: number; to?: number; showSecrets: boolean },
  ): Promise<ConfigDiff> {
    const where = await findAppInEnv(this.store, tenant, env, app);
    const live = await currentRelease(this.store, where);
    const release = async (n: number) => {
      const row = await this.store.releases.find(where.app.id, where.env.id, n);
      if (!row)
        throw new DomainError(
          "not_found",
          `${app} has no release ${n} in ${env}; see 'berth releases ${app} --env ${env}'`,
        );
      return this.releases.view(row);
    };
    const liveView = async (): Promise<[string, SnapshotView]> => {
      if (!live) throw new DomainError("conflict", `${app} has no release in ${env} yet; deploy it first`);
      return [`live (release ${live.number})`, this.releases.view(live)];
    };
    let from: [string, SnapshotView];
    let to: [string, SnapshotView];
    if (q.from !== undefined) from = [`release ${q.from}`, await release(q.from)];
    else from = await liveView();
    if (q.to !== undefined) to = [`release ${q.to}`, await release(q.to)];
    else if (q.from !== undefined) to = await liveView();
    else {
      const current = live as NonNullable<typeof live>;
      const image = await this.images.inspectImage(current.image_id);
      to = [
        "pending (the layers now)",
        await this.releases.pending(
          this.store,
          where,
          {
            image: current.image,
            imageId: current.image_id,
            exposedPorts: image?.exposedPorts ?? [],
            source: "config",
            releaseValues: current.release_values,
          },
          current.number,
        ),
      ];
    }
    return { from: from[0], to: to[0], lines: diffSnapshots(from[1], to[1], q.showSecrets) };
  }

  /**
   * Writes one layer, then re-resolves and rolls every deployment the layer reaches (rollAffected),
   * all in one transaction: a value that no longer resolves anywhere changes nothing.
   */
  private async changeLayer(
    tenant: string,
    scope: ConfigScope,
    stage: boolean,
    change: Record<string, ChangeValue>,
    write: (tx: Store) => Promise<number>,
  ): Promise<ConfigChangeResult> {
    // A service instance's components resolve only their own layers: no config change reaches them.
    const reached = (await this.store.deployments.listForTenant(tenant)).filter(
      (d) =>
        d.capability === null &&
        (scope.app === undefined || d.app === scope.app) &&
        (scope.env === undefined || d.env === scope.env),
    );
    const wheres = await Promise.all(reached.map((d) => findAppInEnv(this.store, tenant, d.env, d.app)));
    const images = new Map<string, number[]>();
    for (const where of wheres) {
      const current = await currentRelease(this.store, where);
      if (current && !images.has(current.image_id))
        images.set(current.image_id, (await this.images.inspectImage(current.image_id))?.exposedPorts ?? []);
      if (!stage) await refuseDuringCanary(this.store, where).catch(stageHint);
    }
    const op: WriteOp = {
      tenant,
      object: scope.app === undefined ? { kind: "tenant", name: tenant } : { kind: "app", name: scope.app },
      env: scope.env ?? null,
      change: { ...change, layer: layerName(scope.app, scope.env) },
    };
    const result = await this.writes.run(op, async (tx) => {
      const changed = await write(tx);
      const rolled = await rollAffected(
        tx,
        this.releases,
        wheres.map((where) => ({ where })),
        (id) => images.get(id) ?? [],
        stage,
      );
      return { changed, releases: rolled.releases, staged: rolled.staged };
    });
    for (const where of wheres)
      this.reconciler.enqueue(appKey({ tenant, env: where.env.name, app: where.app.name }));
    return result;
  }

  private async scope(tenant: string, scope: ConfigScope): Promise<LayerScope> {
    const t = await findTenant(this.store, tenant);
    const app = scope.app === undefined ? undefined : await findApp(this.store, t, scope.app);
    const env = scope.env === undefined ? undefined : await findEnv(this.store, t, scope.env);
    return { tenantId: t.id, appId: app?.id ?? 0, envId: env?.id ?? 0 };
  }
}

function cols(scope: LayerScope) {
  return { tenant_id: scope.tenantId, app_id: scope.appId, env_id: scope.envId };
}

function stageHint(error: unknown): never {
  if (error instanceof DomainError)
    throw new DomainError(error.code, `${error.message}; or store the change with --stage`, error.field);
  throw error;
}

/** Fails on a bad template now, not at the next release. */
function renderCheck(text: string, label: string): void {
  referencesOf(text, label);
}

/** A setting's value as one summary field: scalars as they are, lists by their items, mounts by path. */
function summary(value: unknown): ChangeValue {
  if (value === null || typeof value !== "object") return value as ChangeValue;
  if (Array.isArray(value))
    return value.map((v) =>
      typeof v === "object" && v !== null
        ? String((v as { hostPath?: string; name?: string }).hostPath ?? (v as { name?: string }).name ?? "?")
        : String(v),
    );
  return JSON.stringify(value).slice(0, 200);
}
