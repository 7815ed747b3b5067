import { NO_PLACEMENT } from "../domain/placement.js";
import type { SecretBox } from "../domain/secret-box.js";
import type { ReleaseResources } from "../domain/settings.js";
import { releaseContext } from "./sealing-contexts.js";

/** The columns of a stored release that hold what it runs with. */
export interface StoredRelease {
  app_id: number;
  env_id: number;
  number: number;
  port: number;
  health_path: string;
  config_json: string;
  files_json: string;
  sealed: string | null;
  resources_json: string;
}

export interface FileContent {
  path: string;
  content: string;
}

export interface OpenedRelease {
  env: Record<string, string>;
  secretEnv: Record<string, string>;
  files: FileContent[];
  secretFiles: FileContent[];
  resources: ReleaseResources;
}

/** A stored release with its sealed part decrypted: what its containers are given. */
export function openRelease(row: StoredRelease, box: SecretBox): OpenedRelease {
  const sealed = row.sealed
    ? (JSON.parse(box.open(row.sealed, releaseContext(row.app_id, row.env_id, row.number))) as {
        env: Record<string, string>;
        files: FileContent[];
      })
    : { env: {}, files: [] };
  return {
    env: JSON.parse(row.config_json) as Record<string, string>,
    secretEnv: sealed.env,
    files: JSON.parse(row.files_json) as FileContent[],
    secretFiles: sealed.files,
    resources: resourcesOfRow(row),
  };
}

/** Releases made before config existed hold only port and health path; the rest are defaults. */
export function resourcesOfRow(
  row: Pick<StoredRelease, "port" | "health_path" | "resources_json">,
): ReleaseResources {
  const stored = JSON.parse(row.resources_json) as Partial<ReleaseResources>;
  return {
    cpus: stored.cpus ?? null,
    memoryMb: stored.memoryMb ?? null,
    port: stored.port ?? row.port,
    healthCheck: stored.healthCheck ?? "http",
    healthPath: stored.healthPath ?? row.health_path,
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
    placement: { ...NO_PLACEMENT, ...stored.placement },
  };
}
