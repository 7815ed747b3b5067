import type { FileContent } from "../domain/file-content.js";
import type { SecretBox } from "../domain/secret-box.js";
import type { ReleaseResources } from "../domain/settings.js";
import { releaseContext } from "./sealing-contexts.js";

/** What of a stored release its containers run with (store/release-record decodes it). */
export interface StoredRelease {
  app_id: number;
  env_id: number;
  number: number;
  config: Record<string, string>;
  files: FileContent[];
  sealed: string | null;
  resources: ReleaseResources;
}

export type { FileContent } from "../domain/file-content.js";

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
    env: row.config,
    secretEnv: sealed.env,
    files: row.files,
    secretFiles: sealed.files,
    resources: row.resources,
  };
}
