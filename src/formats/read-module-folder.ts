import { lstatSync, readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { MODULE_LIMITS, type ModuleFile } from "./module-files.js";

/**
 * A module folder as files, for `berth module lint` and `catalog add` on the author's machine and
 * for the modules that ship with Berth. Symbolic links are refused (they could reach outside the
 * folder); dot-folders such as .git are left out.
 */
export function readModuleFolder(dir: string): ModuleFile[] {
  const files: ModuleFile[] = [];
  let bytes = 0;
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const full = join(folder, entry.name);
      const path = relative(dir, full).split(sep).join("/");
      if (entry.isDirectory()) {
        if (!entry.name.startsWith(".")) walk(full);
        continue;
      }
      if (entry.isSymbolicLink())
        throw new Error(`${path} is a symbolic link; a module folder holds only files`);
      if (!entry.isFile()) continue;
      const stat = lstatSync(full);
      bytes += stat.size;
      if (files.length >= MODULE_LIMITS.files || bytes > MODULE_LIMITS.bytes)
        throw new Error(
          `the module folder is larger than ${MODULE_LIMITS.files} files or ${MODULE_LIMITS.bytes} bytes`,
        );
      files.push({ path, mode: stat.mode & 0o777, data: readFileSync(full) });
    }
  };
  walk(dir);
  return files;
}
