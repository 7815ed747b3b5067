import { diffSnapshots, type SnapshotView, summarizeChanges } from "../config/diff-snapshots.js";
import { layerOf } from "../config/layer-of.js";
import { type OpenedRelease, openRelease } from "../config/open-release.js";
import { type ProjectedBinding, projectBindings } from "../config/project-bindings.js";
import {
  type LayeredEntry,
  type LayeredSetting,
  type ReleaseSnapshot,
  resolveRelease,
} from "../config/resolve-release.js";
import { openBindingCredentials } from "../config/sealed-service-values.js";
import { entryContext, releaseContext } from "../config/sealing-contexts.js";
import type { ConfigLayer } from "../domain/config.js";
import { DomainError } from "../domain/domain-error.js";
import type { SecretBox } from "../domain/secret-box.js";
import type { ReleaseResources, SettingName, Settings } from "../domain/settings.js";
import type { NewRelease, ReleaseRow } from "../store/release-repository.js";
import type { Store } from "../store/store.js";
import type { AppInEnv } from "./lookup.js";
import type { HostCapacity, RunSupport } from "./ports.js";

const CLUSTER_CAPACITY_TTL_MS = 60_000;

/** Where an environment runs; read through the caller's store, which may be a transaction (the outer one would wait for it). */
async function clusterOf(store: Store, where: AppInEnv): Promise<string | null> {
  if (where.env.cluster_id === null) return null;
  return (await store.clusters.ofEnvironment(where.tenant.name, where.env.name))?.name ?? null;
}

export type NewReleaseFields = Omit<NewRelease, "app_id" | "env_id"> & {
  changes: string;
  promoted_from: string | null;
};

export interface ReleaseSpec {
  image: string;
  imageId: string;
  exposedPorts: number[];
  source: "image" | "build" | "rollback" | "config" | "promotion";
  /** Release-layer values: given with this deploy, carried by config-change releases made from it. */
  releaseValues?: Record<string, string>;
  /** Release-layer settings, e.g. a canary's port: they do not outlive this release. */
  releaseSettings?: Settings;
  promotedFrom?: string;
}

export interface MadeRelease {
  fields: NewReleaseFields;
  number: number;
  snapshot: ReleaseSnapshot;
}

/**
 * Turns the layers into an immutable release: resolves config, files and settings against the
 * platform facts, seals whatever is secret, and records what changed since the release before.
 */
export class ReleaseMaker {
  /** Per engine (cluster name, or "" for the local one): what it said, and when. */
  private readonly capacities = new Map<string, { at: number; value: { memoryMb: number; cpus: number } }>();
  private readonly refreshing = new Set<string>();

  constructor(
    private readonly box: SecretBox,
    /** The host's capacity, and what each environment's engine can run. */
    private readonly capacity: HostCapacity & RunSupport,
  ) {}

  async make(tx: Store, where: AppInEnv, spec: ReleaseSpec): Promise<MadeRelease> {
    const number = await tx.releases.nextNumber(where.app.id, where.env.id);
    const snapshot = await this.resolve(tx, where, spec, number);
    await this.checkRunnable(tx, where, snapshot.resources);
    const sealedPart = {
      env: snapshot.secretEnv,
      files: snapshot.secretFiles,
    };
    const hasSecrets = Object.keys(sealedPart.env).length > 0 || sealedPart.files.length > 0;
    const previous = await tx.releases.latest(where.app.id, where.env.id);
    const fields: NewReleaseFields = {
      image: spec.image,
      image_id: spec.imageId,
      port: snapshot.resources.port,
      health_path: snapshot.resources.healthPath,
      source: spec.source,
      rolled_back_from: null,
      // The facts go with the values: the containers read them back, and a changed fact shows in diffs.
      config: { ...snapshot.facts, ...snapshot.env },
      files: snapshot.files,
      sealed: hasSecrets
        ? this.box.seal(JSON.stringify(sealedPart), releaseContext(where.app.id, where.env.id, number))
        : null,
      resources: snapshot.resources,
      release_values: spec.releaseValues ?? {},
      changes: "",
      promoted_from: spec.promotedFrom ?? null,
    };
    fields.changes = previous
      ? summarizeChanges(diffSnapshots(this.view(previous), this.viewOf(spec, snapshot), false))
      : "first release";
    return { fields, number, snapshot };
  }

  /** A new release with an old one's image and resolved config, re-sealed under its new number. */
  async copy(
    tx: Store,
    where: AppInEnv,
    from: ReleaseRow,
  ): Promise<{ fields: NewReleaseFields; number: number }> {
    const number = await tx.releases.nextNumber(where.app.id, where.env.id);
    // The old release may rely on an exception that has been revoked since.
    await this.checkRunnable(tx, where, from.resources);
    const previous = await tx.releases.latest(where.app.id, where.env.id);
    const sealed = from.sealed
      ? this.box.seal(
          this.box.open(from.sealed, releaseContext(where.app.id, where.env.id, from.number)),
          releaseContext(where.app.id, where.env.id, number),
        )
      : null;
    const fields: NewReleaseFields = {
      image: from.image,
      image_id: from.image_id,
      port: from.port,
      health_path: from.health_path,
      source: "rollback",
      rolled_back_from: from.number,
      config: from.config,
      files: from.files,
      sealed,
      resources: from.resources,
      release_values: from.release_values,
      changes: "",
      promoted_from: null,
    };
    fields.changes = previous
      ? summarizeChanges(diffSnapshots(this.view(previous), this.view(from), false))
      : "first release";
    return { fields, number };
  }

  /**
   * Inside the write's transaction, so a refusal changes nothing. This is the engine's say, not
   * the isolation policy's (the write path judges that before commit): no exception a platform
   * admin grants makes a setting runnable where the engine cannot run it.
   */
  private async checkRunnable(tx: Store, where: AppInEnv, resources: ReleaseResources) {
    const what = `${where.app.name} in ${where.env.name}`;
    const cluster = await clusterOf(tx, where);
    const missing = this.capacity.unsupportedOn(cluster, resources);
    if (missing) throw new DomainError("invalid", `${what}: ${missing}; nothing was changed`);
  }

  /** What a release would be made of now, without writing anything. */
  async pending(store: Store, where: AppInEnv, spec: ReleaseSpec, number: number): Promise<SnapshotView> {
    return this.viewOf(spec, await this.resolve(store, where, spec, number));
  }

  /** A stored release, opened for comparison or for running. */
  view(row: ReleaseRow): SnapshotView {
    const open = this.openRelease(row);
    return {
      image: row.image,
      imageId: row.image_id,
      env: { ...open.env, ...open.secretEnv },
      secretKeys: new Set(Object.keys(open.secretEnv)),
      files: Object.fromEntries([...open.files, ...open.secretFiles].map((f) => [f.path, f.content])),
      secretFiles: new Set(open.secretFiles.map((f) => f.path)),
      resources: open.resources,
    };
  }

  openRelease(row: ReleaseRow): OpenedRelease {
    return openRelease(row, this.box);
  }

  /** Layers of one app in one environment, secrets opened, for resolution or listing. */
  async layers(
    store: Store,
    where: AppInEnv,
  ): Promise<{
    entries: LayeredEntry[];
    files: { layer: ConfigLayer; path: string; template: string }[];
    settings: LayeredSetting[];
  }> {
    const all = await store.config.layersFor({
      tenantId: where.tenant.id,
      appId: where.app.id,
      envId: where.env.id,
    });
    // A service instance's component runs on its module's settings alone: the tenant's own
    // config (a tenant-wide command, volume or env var) must never reach a database's container.
    const own = <R extends { app_id: number }>(rows: R[]) =>
      where.app.capability === null ? rows : rows.filter((r) => r.app_id === where.app.id);
    const rows = { entries: own(all.entries), files: own(all.files), settings: own(all.settings) };
    return {
      entries: rows.entries.map((r) => ({
        layer: layerOf(r),
        key: r.key,
        secret: r.secret,
        value: r.secret ? this.box.open(r.value, entryContext(r)) : r.value,
      })),
      files: rows.files.map((r) => ({ layer: layerOf(r), path: r.path, template: r.value })),
      settings: rows.settings.map((r) => ({
        layer: layerOf(r),
        name: r.name as SettingName,
        value: r.value,
      })),
    };
  }

  /**
   * The facts come from the engine the environment runs on: a cluster's nodes, not the Berth
   * host. The local host's never changes while the server runs; a cluster's nodes come and go,
   * so its answer older than a minute is refreshed, in the background: this runs inside a write
   * transaction, which must not wait on a remote manager. Only a cluster never asked before
   * waits for its first answer.
   */
  async capacityFor(store: Store, where: AppInEnv): Promise<{ memoryMb: number; cpus: number }> {
    const cluster = await clusterOf(store, where);
    const key = cluster ?? "";
    const hit = this.capacities.get(key);
    if (hit) {
      if (cluster !== null && Date.now() - hit.at >= CLUSTER_CAPACITY_TTL_MS && !this.refreshing.has(key)) {
        this.refreshing.add(key);
        this.capacity
          .capacityOn(cluster)
          .then((value) => this.capacities.set(key, { at: Date.now(), value }))
          // A manager that does not answer keeps the last answer; the next release asks again.
          .catch(() => undefined)
          .finally(() => this.refreshing.delete(key));
      }
      return hit.value;
    }
    const value = await this.capacity.capacityOn(cluster);
    this.capacities.set(key, { at: Date.now(), value });
    return value;
  }

  /** What a release would hold if made now with `spec`; throws DomainError naming the key at fault. */
  async resolve(
    store: Store,
    where: AppInEnv,
    spec: Pick<ReleaseSpec, "exposedPorts" | "releaseValues" | "releaseSettings">,
    number: number,
  ): Promise<ReleaseSnapshot> {
    const layers = await this.layers(store, where);
    const releaseEntries: LayeredEntry[] = Object.entries(spec.releaseValues ?? {}).map(([key, value]) => ({
      layer: "release",
      key,
      secret: false,
      value,
    }));
    const releaseSettings: LayeredSetting[] = Object.entries(spec.releaseSettings ?? {})
      .filter(([, v]) => v !== undefined)
      .map(([name, value]) => ({ layer: "release", name: name as SettingName, value }));
    const exposed = spec.exposedPorts.length === 1 ? spec.exposedPorts[0] : undefined;
    try {
      const snapshot = resolveRelease({
        entries: [...layers.entries, ...releaseEntries],
        files: layers.files,
        settings: [...layers.settings, ...releaseSettings],
        identity: { tenant: where.tenant.name, env: where.env.name, app: where.app.name },
        release: number,
        host: await this.capacityFor(store, where),
        imagePort: exposed,
      });
      return projectBindings(snapshot, await this.bindingsOf(store, where));
    } catch (error) {
      if (error instanceof DomainError)
        throw new DomainError(
          error.code,
          `${where.app.name} in ${where.env.name}: ${error.message}`,
          error.field,
        );
      throw error;
    }
  }

  /** The app's active bindings in the environment, their credentials opened. */
  private async bindingsOf(store: Store, where: AppInEnv): Promise<ProjectedBinding[]> {
    const rows = await store.bindings.forApp(where.app.id, where.env.id);
    return rows
      .filter((b) => b.state === "active")
      .sort((a, b) => a.id - b.id)
      .map((b) => {
        const open = openBindingCredentials(this.box, b.id, b.sealedCredentials);
        return { name: b.name, files: open.files, env: open.env };
      });
  }

  viewOf(spec: ReleaseSpec, s: ReleaseSnapshot): SnapshotView {
    return {
      image: spec.image,
      imageId: spec.imageId,
      env: { ...s.facts, ...s.env, ...s.secretEnv },
      secretKeys: new Set(Object.keys(s.secretEnv)),
      files: Object.fromEntries([...s.files, ...s.secretFiles].map((f) => [f.path, f.content])),
      secretFiles: new Set(s.secretFiles.map((f) => f.path)),
      resources: s.resources,
    };
  }
}
