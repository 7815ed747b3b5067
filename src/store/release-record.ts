import type { Selectable } from "kysely";
import { z } from "zod";
import type { FileContent } from "../domain/file-content.js";
import { NO_PLACEMENT } from "../domain/placement.js";
import type { ReleaseResources } from "../domain/settings.js";
import type { Database } from "./schema.js";
import { storedJson } from "./stored-json.js";
import { StoredResources } from "./stored-shapes.js";

export type { FileContent } from "../domain/file-content.js";

type Raw = Selectable<Database["releases"]>;

/** A release as services see it: its JSON columns decoded and checked, its resources complete. */
export type ReleaseRow = Omit<Raw, "config_json" | "files_json" | "resources_json" | "release_values"> & {
  /** The resolved plain config (environment variables), facts included. */
  config: Record<string, string>;
  /** Rendered files that hold no secret. */
  files: FileContent[];
  /** Every setting it runs with, defaults filled in. */
  resources: ReleaseResources;
  /** The release layer: raw values given with this deploy. */
  release_values: Record<string, string>;
};

type Optional = "config" | "files" | "resources" | "release_values" | "sealed" | "changes" | "promoted_from";
/**
 * What a new release is made of (its number and time are the repository's). What is left out is
 * empty; missing resources are completed from port and health path when read.
 */
export type NewRelease = Omit<ReleaseRow, "id" | "number" | "created_at" | Optional> &
  Partial<Pick<ReleaseRow, Optional>>;

const StringMap = z.record(z.string(), z.string());
const Files = z.array(z.object({ path: z.string(), content: z.string() }));

export function toReleaseRow(raw: Raw): ReleaseRow {
  const { config_json, files_json, resources_json, release_values, ...rest } = raw;
  const what = (column: string) => `release ${raw.number} (id ${raw.id}) column ${column}`;
  const stored = storedJson(StoredResources, resources_json, what("resources_json")) as StoredResources;
  return {
    ...rest,
    config: storedJson(StringMap, config_json, what("config_json")),
    files: storedJson(Files, files_json, what("files_json")),
    resources: completeResources(stored, raw.port, raw.health_path),
    release_values: storedJson(StringMap, release_values, what("release_values")),
  };
}

/** The columns a new release is stored as. */
export function releaseColumns(release: NewRelease) {
  const { config, files, resources, release_values, ...rest } = release;
  return {
    ...rest,
    config_json: JSON.stringify(config ?? {}),
    files_json: JSON.stringify(files ?? []),
    resources_json: JSON.stringify(resources ?? {}),
    release_values: JSON.stringify(release_values ?? {}),
  };
}

/** Resources stored with only some fields (older releases, or a query's partial view), completed. */
export function completeResources(
  stored: StoredResources,
  port: number,
  healthPath: string,
): ReleaseResources {
  return {
    cpus: stored.cpus ?? null,
    memoryMb: stored.memoryMb ?? null,
    port: stored.port ?? port,
    healthCheck: stored.healthCheck ?? "http",
    healthPath: stored.healthPath ?? healthPath,
    healthTimeout: stored.healthTimeout ?? 60,
    restart: stored.restart ?? "unless-stopped",
    command: stored.command ?? null,
    volumes: stored.volumes ?? [],
    privileged: stored.privileged ?? false,
    hostNetwork: stored.hostNetwork ?? false,
    hostPid: stored.hostPid ?? false,
    capAdd: stored.capAdd ?? [],
    devices: stored.devices ?? [],
    hostMounts: stored.hostMounts ?? [],
    ...(stored.strategy ? { strategy: stored.strategy } : {}),
    // Field by field: a stored null means "not set", never a null list of constraints.
    placement: {
      constraints: stored.placement?.constraints ?? NO_PLACEMENT.constraints,
      spread: stored.placement?.spread ?? NO_PLACEMENT.spread,
      maxPerNode: stored.placement?.maxPerNode ?? NO_PLACEMENT.maxPerNode,
      reserveCpus: stored.placement?.reserveCpus ?? NO_PLACEMENT.reserveCpus,
      reserveMemoryMb: stored.placement?.reserveMemoryMb ?? NO_PLACEMENT.reserveMemoryMb,
    },
  };
}

/** A resources column read by a query that joins releases (quotas, routing, health). */
export function resourcesFromColumn(
  text: string | null,
  what: string,
  port = 0,
  healthPath = "/",
): ReleaseResources {
  return completeResources(
    storedJson(StoredResources, text ?? "{}", what) as StoredResources,
    port,
    healthPath,
  );
}
