import type { Kysely, Selectable } from "kysely";
import { z } from "zod";
import { CapabilityManifest } from "../domain/capability-module.js";
import { nowIso } from "./now-iso.js";
import type { Database } from "./schema.js";
import { storedJson } from "./stored-json.js";

/** A module version as services see it: its manifest decoded; its files stay encoded until built. */
export interface CapabilityModuleRecord {
  id: number;
  capability: string;
  version: string;
  /** 0: every tenant's. */
  tenantId: number;
  manifest: CapabilityManifest;
  digest: string;
  source: string;
  addedBy: string;
  createdAt: string;
}

export interface StoredModuleFile {
  path: string;
  mode: number;
  /** base64 */
  data: string;
}

const StoredFiles = z.array(z.object({ path: z.string(), mode: z.number().int(), data: z.string() }));

type Row = Selectable<Database["capability_modules"]>;

const toRecord = (r: Omit<Row, "files">): CapabilityModuleRecord => ({
  id: r.id,
  capability: r.capability,
  version: r.version,
  tenantId: r.tenant_id,
  manifest: storedJson(
    CapabilityManifest,
    r.manifest,
    `capability module ${r.capability} ${r.version} manifest`,
  ),
  digest: r.digest,
  source: r.source,
  addedBy: r.added_by,
  createdAt: r.created_at,
});

const COLUMNS = [
  "id",
  "capability",
  "version",
  "tenant_id",
  "manifest",
  "digest",
  "source",
  "added_by",
  "created_at",
] as const;

export class CapabilityModuleRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async add(m: {
    capability: string;
    version: string;
    tenantId: number;
    manifest: CapabilityManifest;
    files: StoredModuleFile[];
    digest: string;
    source: string;
    addedBy: string;
  }): Promise<CapabilityModuleRecord> {
    const row = await this.db
      .insertInto("capability_modules")
      .values({
        capability: m.capability,
        version: m.version,
        tenant_id: m.tenantId,
        manifest: JSON.stringify(m.manifest),
        files: JSON.stringify(m.files),
        digest: m.digest,
        source: m.source,
        added_by: m.addedBy,
        created_at: nowIso(),
      })
      .returning(COLUMNS)
      .executeTakeFirstOrThrow();
    return toRecord(row);
  }

  /** Every version a tenant may use: its own and everyone's, newest first per capability. */
  async visibleTo(tenantId: number | null): Promise<CapabilityModuleRecord[]> {
    const rows = await this.db
      .selectFrom("capability_modules")
      .select(COLUMNS)
      .where((eb) => (tenantId === null ? eb("tenant_id", "=", 0) : eb("tenant_id", "in", [0, tenantId])))
      .orderBy("capability")
      .orderBy("id", "desc")
      .execute();
    return rows.map(toRecord);
  }

  async all(): Promise<CapabilityModuleRecord[]> {
    return (await this.db.selectFrom("capability_modules").select(COLUMNS).orderBy("id").execute()).map(
      toRecord,
    );
  }

  async find(
    capability: string,
    version: string,
    tenantId: number,
  ): Promise<CapabilityModuleRecord | undefined> {
    const row = await this.db
      .selectFrom("capability_modules")
      .select(COLUMNS)
      .where("capability", "=", capability)
      .where("version", "=", version)
      .where("tenant_id", "=", tenantId)
      .executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  async byId(id: number): Promise<CapabilityModuleRecord | undefined> {
    const row = await this.db
      .selectFrom("capability_modules")
      .select(COLUMNS)
      .where("id", "=", id)
      .executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  async files(id: number): Promise<StoredModuleFile[]> {
    const row = await this.db
      .selectFrom("capability_modules")
      .select("files")
      .where("id", "=", id)
      .executeTakeFirstOrThrow();
    return storedJson(StoredFiles, row.files, `capability module ${id} files`);
  }
}
