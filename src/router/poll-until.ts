import { setTimeout as delay } from "node:timers/promises";

/** Calls `check` every `intervalMs` until it returns true; false if `timeoutMs` passed first. */
export async function pollUntil(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  intervalMs = 10,
): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (performance.now() >= deadline) return false;
    await delay(intervalMs);
  }
}
