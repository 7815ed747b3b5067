/** One file of a capability module folder, as the CLI packs it and the server stores it. */
export interface ModuleFile {
  /** Relative to the module folder, with '/' separators. */
  path: string;
  /** Unix permission bits (0o755 for scripts); kept, so a hook stays executable in its image. */
  mode: number;
  data: Uint8Array;
}

/** What a module folder may weigh: source, Dockerfiles and scripts, not artifacts. */
export const MODULE_LIMITS = { files: 500, bytes: 8 * 1024 * 1024 } as const;

export const MANIFEST_FILE = "capability.yaml";

const decoder = new TextDecoder("utf-8", { fatal: false });
export const textOf = (file: ModuleFile): string => decoder.decode(file.data);
