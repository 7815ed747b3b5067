import { realpathSync } from "node:fs";
import { DomainError } from "../../domain/domain-error.js";

/**
 * Docker follows symlinks in a bind source, so a tenant that can write a symlink under a path it
 * was granted could mount anything. Only the path exactly as granted and judged is mounted.
 */
export function canonicalHostPath(path: string): string {
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    throw new DomainError("failed", `host path ${path} does not exist on this host`);
  }
  if (real !== path)
    throw new DomainError(
      "failed",
      `host path ${path} goes through a symlink (to ${real}); mount ${real} itself`,
    );
  return path;
}
