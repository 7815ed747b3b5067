import { readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The pid of the Berth server that DATA_DIR/server.pid names, if it still runs: the file may be
 * stale and its pid reused, so only a live process whose command line says berth counts.
 */
export function runningServerPid(dataDir: string): number | undefined {
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(join(dataDir, "server.pid"), "utf8").trim(), 10);
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return undefined;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("berth") ? pid : undefined;
  } catch {
    return undefined;
  }
}
