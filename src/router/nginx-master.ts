import { readFileSync } from "node:fs";
import path from "node:path";

/** The pid in `<stateDir>/nginx.pid`, if that file names a positive integer. `nginx -t` leaves it empty. */
export function readPidFile(stateDir: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(path.join(stateDir, "nginx.pid"), "utf8").trim();
  } catch {
    return undefined;
  }
  const pid = Number(text);
  return /^\d+$/.test(text) && Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

/** The one-letter state from /proc/PID/stat (R, S, Z, ...); undefined when the process is gone. */
function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name may contain spaces and parentheses; the state follows the last ")".
    return stat.charAt(stat.lastIndexOf(")") + 2);
  } catch {
    return undefined;
  }
}

/**
 * True while `pid` is a running (not zombie) nginx master started on `stateDir`. PID 1 in a
 * container may never reap the daemonized master, so "kill(pid, 0) succeeds" is not enough.
 */
export function isNginxMaster(pid: number, stateDir: string): boolean {
  const state = processState(pid);
  if (state === undefined || state === "Z" || state === "X" || state === "x") return false;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
    return cmdline.includes("nginx") && cmdline.includes(`${stateDir}/`);
  } catch {
    return false;
  }
}

/** The pid of the live nginx master that owns `stateDir`, if there is one. */
export function liveMasterPid(stateDir: string): number | undefined {
  const pid = readPidFile(stateDir);
  return pid !== undefined && isNginxMaster(pid, stateDir) ? pid : undefined;
}

/** Current child processes (workers) of an nginx master. */
export function workerPids(masterPid: number): number[] {
  try {
    const text = readFileSync(`/proc/${masterPid}/task/${masterPid}/children`, "utf8").trim();
    return text === "" ? [] : text.split(/\s+/).map(Number);
  } catch {
    return [];
  }
}

/**
 * True once an old worker no longer takes new connections: it has exited, or it has retitled
 * itself "worker process is shutting down", which nginx does right before closing its listeners.
 */
export function hasStoppedAccepting(workerPid: number): boolean {
  const state = processState(workerPid);
  if (state === undefined || state === "Z") return true;
  try {
    return readFileSync(`/proc/${workerPid}/cmdline`, "utf8").includes("shutting down");
  } catch {
    return true;
  }
}
