import { createHash } from "node:crypto";
import type { CapabilityManifest } from "../domain/capability-module.js";
import { DomainError } from "../domain/domain-error.js";
import type { CatalogDetail, CatalogEntry } from "../domain/service-instance.js";
import { lintModule, problemText } from "../formats/lint-module.js";
import type { ModuleFile } from "../formats/module-files.js";
import type { CapabilityModuleRecord, StoredModuleFile } from "../store/capability-module-repository.js";
import type { Store } from "../store/store.js";
import { findTenant } from "./lookup.js";
import type { ModuleImages } from "./module-images.js";
import { NO_AUDIT, WritePath } from "./write-path.js";

/** sha256 over every file's path, mode and bytes, in path order. */
export function moduleDigest(files: readonly ModuleFile[]): string {
  const h = createHash("sha256");
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    h.update(`${f.path}\0${f.mode.toString(8)}\0${f.data.byteLength}\0`);
    h.update(f.data);
  }
  return h.digest("hex");
}

/** Newest first by semantic version (a pre-release sorts before its release). */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const [core = "", pre] = v.split("-", 2);
    return { nums: core.split(".").map(Number), pre };
  };
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < 3; i++)
    if ((x.nums[i] ?? 0) !== (y.nums[i] ?? 0)) return (y.nums[i] ?? 0) - (x.nums[i] ?? 0);
  if (x.pre === y.pre) return 0;
  if (x.pre === undefined) return -1;
  if (y.pre === undefined) return 1;
  return x.pre < y.pre ? 1 : -1;
}

/**
 * The catalog: capability modules, for every tenant (added by platform admins, and those that
 * ship with Berth) or for one tenant (added by its owners). A module is judged whole by the same
 * linter authors run, its images are built before it is stored, and a version, once added, never
 * changes: other files need a new version.
 */
export class CatalogService {
  constructor(
    private readonly store: Store,
    private readonly images: ModuleImages,
    private readonly writes: WritePath = new WritePath(store, NO_AUDIT),
  ) {}

  async add(
    files: ModuleFile[],
    scope: {
      tenant?: string;
      source: string;
      by: string /** false: images on first use. */;
      build?: boolean;
    },
    onLog: (line: string) => void = () => {},
  ): Promise<{ record: CapabilityModuleRecord; added: boolean; images: string[] }> {
    const lint = lintModule(files);
    if (!lint.manifest)
      throw new DomainError(
        "invalid",
        `the module was refused, nothing was stored:\n${lint.problems.map(problemText).join("\n")}`,
      );
    const m = lint.manifest;
    const tenantId = scope.tenant === undefined ? 0 : (await findTenant(this.store, scope.tenant)).id;
    const digest = moduleDigest(files);
    const same = await this.store.modules.find(m.id, m.version, tenantId);
    if (same && same.digest !== digest)
      throw new DomainError(
        "conflict",
        `${m.id} ${m.version} is already in the catalog with other files; give the module a new version`,
      );
    await this.refuseShadowing(m, tenantId, scope.tenant);
    const object = { kind: "capability", name: m.id } as const;
    if (same) {
      this.writes.describe({ tenant: scope.tenant, object, change: { version: m.version, unchanged: true } });
      if (scope.build === false) return { record: same, added: false, images: [] };
      const built = await this.images.ensure(same, onLog);
      return { record: same, added: false, images: Object.values(built).map((b) => b.tag) };
    }
    // Built before it is stored: a module whose images do not build never enters the catalog.
    const stored: StoredModuleFile[] = files.map((f) => ({
      path: f.path,
      mode: f.mode,
      data: Buffer.from(f.data).toString("base64"),
    }));
    const built =
      scope.build === false
        ? {}
        : await this.images.ensureFromFiles(
            { capability: m.id, version: m.version, digest, manifest: m },
            stored,
            onLog,
          );
    const record: CapabilityModuleRecord = await this.writes.run(
      { tenant: scope.tenant, object, change: { version: m.version, scope: scope.tenant ?? "platform" } },
      (tx) =>
        tx.modules.add({
          capability: m.id,
          version: m.version,
          tenantId,
          manifest: m,
          files: stored,
          digest,
          source: scope.source,
          addedBy: scope.by,
        }),
    );
    return { record, added: true, images: Object.values(built).map((b) => b.tag) };
  }

  /** One id means one capability: a tenant's module may not hide the platform's, nor the reverse. */
  private async refuseShadowing(m: CapabilityManifest, tenantId: number, tenant: string | undefined) {
    const all = await this.store.modules.all();
    const other = all.find((r) => r.capability === m.id && r.tenantId !== tenantId);
    if (!other) return;
    if (tenantId !== 0 && other.tenantId === 0)
      throw new DomainError(
        "conflict",
        `capability ${m.id} is in the catalog for every tenant; give tenant ${tenant}'s module another id`,
      );
    if (tenantId === 0)
      throw new DomainError(
        "conflict",
        `a tenant already has its own capability ${m.id}; give the platform's module another id`,
      );
  }

  async list(tenant: string | undefined): Promise<CatalogEntry[]> {
    const groups = await this.visible(tenant);
    return [...groups.values()].map((versions) => entryOf(versions));
  }

  async show(tenant: string | undefined, capability: string): Promise<CatalogDetail> {
    const versions = (await this.visible(tenant)).get(capability);
    if (!versions)
      throw new DomainError(
        "not_found",
        `capability '${capability}' is not in the catalog${tenant ? ` of tenant ${tenant}` : ""}; see 'berth catalog list'`,
      );
    const newest = versions[0] as CapabilityModuleRecord;
    const m = newest.manifest;
    return {
      ...entryOf(versions),
      parameters: {
        create: m.parameters.create ?? null,
        update: m.parameters.update ?? null,
        bind: m.parameters.bind ?? null,
      },
      services: Object.entries(m.services).map(([name, s]) => ({
        name,
        port: s.port,
        replicas: typeof s.replicas === "number" ? String(s.replicas) : `parameter ${s.replicas.param}`,
        volumes: s.volumes.map((v) => v.name),
      })),
      binding: {
        type: m.binding.type,
        provider: m.binding.provider,
        keys: ["type", "provider", ...Object.keys(m.binding.credentials)].filter(
          (k, i, a) => a.indexOf(k) === i,
        ),
        env: Object.keys(m.binding.env),
        perBindingCredentials: m.binding.create !== undefined,
      },
      backup: m.backup ? { method: "restic", restoreMode: m.backup.restoreMode } : null,
      upgrades: m.upgrades.map((u) => ({ from: u.from, to: u.to })),
    };
  }

  /** The module version a new instance gets: the one asked for, or the newest the tenant sees. */
  async resolve(
    tenantId: number,
    capability: string,
    version: string | undefined,
  ): Promise<CapabilityModuleRecord> {
    const versions = (await this.store.modules.visibleTo(tenantId))
      .filter((r) => r.capability === capability)
      .sort((a, b) => compareVersions(a.version, b.version));
    if (versions.length === 0)
      throw new DomainError(
        "not_found",
        `capability '${capability}' is not in the catalog; see 'berth catalog list'`,
        "capability",
      );
    const found = version === undefined ? versions[0] : versions.find((v) => v.version === version);
    if (!found)
      throw new DomainError(
        "invalid",
        `${capability} has no version ${version} (versions: ${versions.map((v) => v.version).join(", ")})`,
        "version",
      );
    return found;
  }

  private async visible(tenant: string | undefined): Promise<Map<string, CapabilityModuleRecord[]>> {
    const tenantId = tenant === undefined ? null : (await findTenant(this.store, tenant)).id;
    const groups = new Map<string, CapabilityModuleRecord[]>();
    for (const r of await this.store.modules.visibleTo(tenantId)) {
      const list = groups.get(r.capability) ?? [];
      list.push(r);
      groups.set(r.capability, list);
    }
    for (const list of groups.values()) list.sort((a, b) => compareVersions(a.version, b.version));
    return groups;
  }
}

function entryOf(versions: CapabilityModuleRecord[]): CatalogEntry {
  const newest = versions[0] as CapabilityModuleRecord;
  const m = newest.manifest;
  return {
    capability: newest.capability,
    title: m.title,
    description: m.description,
    versions: versions.map((v) => ({
      version: v.version,
      serviceVersion: v.manifest.serviceVersion,
      maturity: v.manifest.maturity,
      scope: v.tenantId === 0 ? "platform" : "tenant",
      source: v.source,
      addedBy: v.addedBy,
      addedAt: v.createdAt,
    })),
    plans: Object.entries(m.plans).map(([name, p]) => ({
      name,
      description: p.description,
      cpus: p.cpus,
      memoryMb: p.memoryMb,
      default: p.default,
    })),
  };
}
