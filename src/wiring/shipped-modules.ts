import { existsSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Logger } from "pino";
import { DomainError } from "../domain/domain-error.js";
import { readModuleFolder } from "../formats/read-module-folder.js";
import type { CatalogService } from "../services/catalog-service.js";

/** capabilities/ of this install: beside dist/ (or src/, under tsx). */
export function shippedModulesDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), "../../capabilities");
}

/**
 * The modules that ship with Berth enter the catalog at start, for every tenant, as any module
 * a platform team adds would: judged by the same linter, with no code path of their own. Their
 * images are built on first use, so a start never waits for apt. A shipped version whose files
 * differ from the stored one (edited without a new version) is left as stored, with a warning.
 */
export async function registerShippedModules(
  catalog: CatalogService,
  dir: string,
  log: Logger,
): Promise<void> {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith(".")) continue;
    const folder = join(dir, entry.name);
    try {
      const { record, added } = await catalog.add(readModuleFolder(folder), {
        source: "builtin",
        by: "berth",
        build: false,
      });
      if (added) log.info(`catalog: added ${record.capability} ${record.version} (shipped with Berth)`);
    } catch (error) {
      if (error instanceof DomainError && error.code === "conflict")
        log.warn(`catalog: shipped module ${entry.name} not registered: ${error.message}`);
      else log.error({ err: error }, `catalog: shipped module ${entry.name} is broken`);
    }
  }
}
