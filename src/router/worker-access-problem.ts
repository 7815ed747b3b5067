import { statSync } from "node:fs";
import path from "node:path";

/**
 * When Berth runs as root, nginx workers run as "nobody" and must traverse every directory down
 * to stateDir to use its temp dirs (request bodies over ~16 KB, large responses); otherwise
 * those requests fail with 500. Names the first directory that locks them out, if any.
 */
export function workerAccessProblem(stateDir: string): string | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (let dir = path.resolve(stateDir); ; dir = path.dirname(dir)) {
    try {
      if ((statSync(dir).mode & 0o001) === 0) {
        return `${dir} is not searchable by others (mode ${(statSync(dir).mode & 0o777).toString(8)}); nginx workers running as nobody cannot reach ${stateDir}/tmp, so requests with large bodies will fail`;
      }
    } catch {
      return undefined;
    }
    if (dir === path.dirname(dir)) return undefined;
  }
}
