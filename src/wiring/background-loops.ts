/** Something that runs on its own once the server is up: the reconciler, timers, log tailers. */
export interface BackgroundLoop {
  readonly name: string;
  start(): void | Promise<void>;
  stop(): void;
}

/**
 * The one list of what runs in the background: started in the order added, stopped in reverse.
 * When several servers share a database, this is where only the leader would start them.
 */
export class BackgroundLoops {
  readonly #loops: BackgroundLoop[] = [];

  add(loop: BackgroundLoop): void {
    this.#loops.push(loop);
  }

  get names(): string[] {
    return this.#loops.map((l) => l.name);
  }

  async startAll(): Promise<void> {
    for (const loop of this.#loops) await loop.start();
  }

  stopAll(): void {
    for (const loop of [...this.#loops].reverse()) loop.stop();
  }
}
