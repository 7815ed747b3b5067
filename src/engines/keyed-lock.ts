/**
 * Runs work for one key at a time, in call order; different keys run side by side. Engines use
 * it where the daemon's own checks race: two creates of one network, or Swarm updates made
 * against a stale service version.
 */
export class KeyedLock {
  readonly #tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(work);
    this.#tails.set(key, run);
    void run
      .finally(() => {
        if (this.#tails.get(key) === run) this.#tails.delete(key);
      })
      .catch(() => undefined);
    return run;
  }
}
