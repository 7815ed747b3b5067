import { DomainError } from "../domain/domain-error.js";

const WINDOW_MS = 15 * 60_000;
const MAX_FAILURES = 10;

/**
 * Slows password guessing: after 10 failed sign-ins for one user name, or from one address,
 * within 15 minutes, further attempts are refused until the oldest failure ages out. Kept in
 * memory: a restart forgives, and scrypt already costs each guess half a second.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly now: () => number = Date.now) {}

  check(keys: readonly string[]): void {
    const t = this.now();
    for (const key of keys) {
      const recent = this.recent(key, t);
      if (recent.length >= MAX_FAILURES) {
        const minutes = Math.ceil(((recent[0] as number) + WINDOW_MS - t) / 60_000);
        throw new DomainError(
          "rate_limited",
          `too many failed sign-ins; try again in ${minutes} minute${minutes === 1 ? "" : "s"}`,
        );
      }
    }
  }

  fail(keys: readonly string[]): void {
    const t = this.now();
    if (this.failures.size > 100_000)
      for (const key of [...this.failures.keys()])
        if (this.recent(key, t).length === 0) this.failures.delete(key);
    for (const key of keys) this.failures.set(key, [...this.recent(key, t), t]);
  }

  /** A good password forgives that user's failures (not the address's: one's own account must not reset it). */
  succeed(userKey: string): void {
    this.failures.delete(userKey);
  }

  private recent(key: string, t: number): number[] {
    return (this.failures.get(key) ?? []).filter((at) => at > t - WINDOW_MS);
  }
}
