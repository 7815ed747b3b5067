import { appKey } from "../../domain/labels.js";
import type { EngineEvent, Workload } from "../engine.js";

/** Every this many polls each app is reported even unchanged, so its replicas get probed again. */
const HEARTBEAT_EVERY = 3;

/**
 * Swarm has no task events, and a lost node shows only as tasks moving: so the task list is
 * polled, and an app whose tasks changed (id, state, node, port) is reported at once. Every few
 * polls each app is reported anyway, so a replica whose node went silent (still "running" to
 * Swarm) fails its health probe and leaves the router before Swarm notices.
 */
export function pollTasks(
  list: () => Promise<Workload[]>,
  intervalMs: number,
  onEvent: (event: EngineEvent) => void,
  onError: (error: Error) => void,
): { close(): void } {
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let last = new Map<string, string>();
  // Kept beside the prints, so an app that vanished is reported by its identity, not a parsed key.
  let lastIdentity = new Map<string, Workload["identity"]>();
  let polls = 0;
  let failing = false;

  const tick = async () => {
    try {
      const workloads = await list();
      const now = new Map<string, { identity: Workload["identity"]; print: string[] }>();
      for (const w of workloads) {
        const key = appKey(w.identity);
        const entry = now.get(key) ?? { identity: w.identity, print: [] };
        entry.print.push(`${w.id}:${w.state}:${w.address}:${w.publishedPort}`);
        now.set(key, entry);
      }
      const heartbeat = ++polls % HEARTBEAT_EVERY === 0;
      const next = new Map<string, string>();
      for (const [key, entry] of now) {
        const print = entry.print.sort().join(",");
        next.set(key, print);
        if (heartbeat || last.get(key) !== print) onEvent({ identity: entry.identity, action: "update" });
      }
      for (const [key, identity] of lastIdentity)
        if (!next.has(key)) onEvent({ identity, action: "destroy" });
      last = next;
      lastIdentity = new Map([...now].map(([key, entry]) => [key, entry.identity]));
      failing = false;
    } catch (error) {
      // Said once per outage: the caller resyncs on it.
      if (!failing) onError(error instanceof Error ? error : new Error(String(error)));
      failing = true;
    }
    if (!closed) timer = setTimeout(() => void tick(), intervalMs);
  };
  timer = setTimeout(() => void tick(), 0);
  return {
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
    },
  };
}
