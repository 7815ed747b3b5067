import { DomainError } from "../domain/domain-error.js";

const WINDOW_MS = 15 * 60_000;
const MAX_FAILURES = 10;
/** Password checks at once (libuv's thread pool has 4 threads) and how many may wait for one. */
const CONCURRENT = 4;
const WAITING = 64;

/**
 * Slows password guessing: after 10 failed sign-ins for one user name, or from one address,
 * within 15 minutes, further attempts are refused until the oldest failure ages out. Attempts
 * still being checked count as failures until they are known, so parallel guesses cannot slip
 * past the limit; and only a few scrypt checks run at once, so a flood of sign-ins cannot take
 * the server's CPU. Kept in memory: a restart forgives.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();
  private readonly pending = new Map<string, number>();
  private running = 0;
  private readonly queue: (() => void)[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  /** Runs one password check for `keys` (user:NAME, source:ADDR); `ok` says whether it passed. */
  async attempt<T>(
    keys: readonly string[],
    check: () => Promise<{ ok: boolean; value: T }>,
  ): Promise<T | null> {
    const t = this.now();
    for (const key of keys) {
      const recent = this.recent(key, t);
      if (recent.length + (this.pending.get(key) ?? 0) >= MAX_FAILURES) {
        const oldest = recent[0] ?? t;
        const minutes = Math.max(1, Math.ceil((oldest + WINDOW_MS - t) / 60_000));
        throw new DomainError(
          "rate_limited",
          `too many failed sign-ins; try again in ${minutes} minute${minutes === 1 ? "" : "s"}`,
        );
      }
    }
    if (this.running >= CONCURRENT && this.queue.length >= WAITING)
      throw new DomainError("rate_limited", "too many sign-ins at once; try again in a moment");
    for (const key of keys) this.pending.set(key, (this.pending.get(key) ?? 0) + 1);
    try {
      await this.slot();
      const result = await check();
      if (result.ok) this.failures.delete(keys[0] as string);
      else this.fail(keys);
      return result.ok ? result.value : null;
    } finally {
      this.release();
      for (const key of keys) {
        const n = (this.pending.get(key) ?? 1) - 1;
        if (n > 0) this.pending.set(key, n);
        else this.pending.delete(key);
      }
    }
  }

  private fail(keys: readonly string[]): void {
    const t = this.now();
    if (this.failures.size > 100_000)
      for (const key of [...this.failures.keys()])
        if (this.recent(key, t).length === 0) this.failures.delete(key);
    for (const key of keys) this.failures.set(key, [...this.recent(key, t), t]);
  }

  private slot(): Promise<void> {
    if (this.running < CONCURRENT) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((resolve) =>
      this.queue.push(() => {
        this.running++;
        resolve();
      }),
    );
  }

  private release(): void {
    this.running--;
    this.queue.shift()?.();
  }

  private recent(key: string, t: number): number[] {
    return (this.failures.get(key) ?? []).filter((at) => at > t - WINDOW_MS);
  }
}
