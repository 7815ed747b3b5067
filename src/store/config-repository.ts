import type { Kysely, Selectable } from "kysely";
import { z } from "zod";
import { nowIso } from "./now-iso.js";
import type { Database } from "./schema.js";
import { storedBoolean, storedJson } from "./stored-json.js";

type RawEntry = Selectable<Database["config_entries"]>;
type RawSetting = Selectable<Database["settings"]>;
export type ConfigEntryRow = Omit<RawEntry, "secret"> & { secret: boolean };
export type ConfigFileRow = Selectable<Database["config_files"]>;
/**
 * A setting with its JSON value decoded. Its shape is not checked here: resolveSettings checks
 * each value against its setting when a release is made and leaves out one that no longer fits,
 * so an old value never blocks a read.
 */
export type SettingRow = Omit<RawSetting, "value"> & { value: unknown };

const toEntry = (r: RawEntry): ConfigEntryRow => ({ ...r, secret: storedBoolean(r.secret) });
const settingValue = (r: { id?: number; name: string; value: string }): unknown =>
  storedJson(z.unknown(), r.value, `setting ${r.name}${r.id === undefined ? "" : ` (id ${r.id})`}`);
const toSetting = (r: RawSetting): SettingRow => ({ ...r, value: settingValue(r) });

/** A layer: app_id / env_id 0 means "every app" / "every environment". */
export interface LayerScope {
  tenantId: number;
  appId: number;
  envId: number;
}

type ScopedTable = "config_entries" | "config_files" | "settings";

/** Config values, files and settings, each stored per layer. */
export class ConfigRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** Every row that applies to one app in one environment, from all four stored layers. */
  async layersFor(scope: LayerScope): Promise<{
    entries: ConfigEntryRow[];
    files: ConfigFileRow[];
    settings: SettingRow[];
  }> {
    const [entries, files, settings] = await Promise.all([
      this.applying("config_entries", scope).orderBy("key").execute(),
      this.applying("config_files", scope).orderBy("path").execute(),
      this.applying("settings", scope).orderBy("name").execute(),
    ]);
    return {
      entries: (entries as RawEntry[]).map(toEntry),
      files,
      settings: (settings as RawSetting[]).map(toSetting),
    };
  }

  /** The rows of exactly one layer. */
  async layer(scope: LayerScope): Promise<{
    entries: ConfigEntryRow[];
    files: ConfigFileRow[];
    settings: SettingRow[];
  }> {
    const [entries, files, settings] = await Promise.all([
      this.exactly("config_entries", scope).orderBy("key").execute(),
      this.exactly("config_files", scope).orderBy("path").execute(),
      this.exactly("settings", scope).orderBy("name").execute(),
    ]);
    return {
      entries: (entries as RawEntry[]).map(toEntry),
      files,
      settings: (settings as RawSetting[]).map(toSetting),
    };
  }

  async putEntry(scope: LayerScope, key: string, secret: boolean, value: string): Promise<void> {
    const row = { ...this.cols(scope), key, secret: secret ? 1 : 0, value, updated_at: nowIso() };
    await this.db
      .insertInto("config_entries")
      .values(row)
      .onConflict((oc) =>
        oc
          .columns(["tenant_id", "app_id", "env_id", "key"])
          .doUpdateSet({ secret: row.secret, value, updated_at: row.updated_at }),
      )
      .execute();
  }

  async deleteEntries(scope: LayerScope, keys: readonly string[]): Promise<number> {
    if (keys.length === 0) return 0;
    const result = await this.scoped(this.db.deleteFrom("config_entries"), scope)
      .where("key", "in", keys)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async putFile(scope: LayerScope, path: string, value: string): Promise<void> {
    const row = { ...this.cols(scope), path, value, updated_at: nowIso() };
    await this.db
      .insertInto("config_files")
      .values(row)
      .onConflict((oc) =>
        oc
          .columns(["tenant_id", "app_id", "env_id", "path"])
          .doUpdateSet({ value, updated_at: row.updated_at }),
      )
      .execute();
  }

  async deleteFile(scope: LayerScope, path: string): Promise<number> {
    const result = await this.scoped(this.db.deleteFrom("config_files"), scope)
      .where("path", "=", path)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async putSetting(scope: LayerScope, name: string, value: unknown): Promise<void> {
    const json = JSON.stringify(value);
    const row = { ...this.cols(scope), name, value: json, updated_at: nowIso() };
    await this.db
      .insertInto("settings")
      .values(row)
      .onConflict((oc) =>
        oc
          .columns(["tenant_id", "app_id", "env_id", "name"])
          .doUpdateSet({ value: json, updated_at: row.updated_at }),
      )
      .execute();
  }

  async deleteSetting(scope: LayerScope, name: string): Promise<number> {
    const result = await this.scoped(this.db.deleteFrom("settings"), scope)
      .where("name", "=", name)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /**
   * A tenant's settings rows named in `names` (the isolation-elevating ones), with the names of
   * the app and environment of their layer ("" where the layer spans all).
   */
  async settingsNamed(
    tenantId: number,
    names: readonly string[],
  ): Promise<{ app_id: number; env_id: number; app: string; env: string; name: string; value: unknown }[]> {
    const rows = await this.db
      .selectFrom("settings")
      .leftJoin("apps", "apps.id", "settings.app_id")
      .leftJoin("environments", "environments.id", "settings.env_id")
      .select([
        "settings.app_id",
        "settings.env_id",
        "settings.name",
        "settings.value",
        (eb) => eb.fn.coalesce("apps.name", eb.val("")).as("app"),
        (eb) => eb.fn.coalesce("environments.name", eb.val("")).as("env"),
      ])
      .where("settings.tenant_id", "=", tenantId)
      .where("settings.name", "in", [...names])
      .orderBy("settings.id")
      .execute();
    return rows.map((r) => ({ ...r, value: settingValue(r) }));
  }

  /** For key rotation: every stored secret, in every layer. */
  async listSecretEntries(): Promise<ConfigEntryRow[]> {
    const rows = await this.db
      .selectFrom("config_entries")
      .selectAll()
      .where("secret", "=", 1)
      .orderBy("id")
      .execute();
    return rows.map(toEntry);
  }

  async replaceSecretValue(id: number, value: string): Promise<void> {
    await this.db.updateTable("config_entries").set({ value }).where("id", "=", id).execute();
  }

  private cols(scope: LayerScope) {
    return { tenant_id: scope.tenantId, app_id: scope.appId, env_id: scope.envId };
  }

  private applying<T extends ScopedTable>(table: T, scope: LayerScope) {
    return this.db
      .selectFrom(table as ScopedTable)
      .selectAll()
      .where("tenant_id", "=", scope.tenantId)
      .where("app_id", "in", [0, scope.appId])
      .where("env_id", "in", [0, scope.envId]);
  }

  private exactly<T extends ScopedTable>(table: T, scope: LayerScope) {
    return this.db
      .selectFrom(table as ScopedTable)
      .selectAll()
      .where("tenant_id", "=", scope.tenantId)
      .where("app_id", "=", scope.appId)
      .where("env_id", "=", scope.envId);
  }

  private scoped<
    Q extends {
      where(c: "tenant_id" | "app_id" | "env_id", op: "=", v: number): Q;
    },
  >(q: Q, scope: LayerScope): Q {
    return q
      .where("tenant_id", "=", scope.tenantId)
      .where("app_id", "=", scope.appId)
      .where("env_id", "=", scope.envId);
  }
}
