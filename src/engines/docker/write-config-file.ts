import { createHash } from "node:crypto";
import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Files are named by their content's hash, so every container of a release shares one copy
 * and nothing is rewritten under a running container. 0444 in a 0711 directory: the app's user
 * can read its file by name, nobody can list the others.
 */
export function writeConfigFile(dir: string | undefined, content: string): string {
  if (!dir) throw new Error("this engine was not given a directory for config files");
  mkdirSync(dir, { recursive: true, mode: 0o711 });
  const file = join(dir, createHash("sha256").update(content).digest("hex"));
  if (!existsSync(file)) {
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, content, { mode: 0o444 });
    renameSync(tmp, file);
  }
  return file;
}
