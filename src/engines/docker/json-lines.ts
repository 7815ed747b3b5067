import { StringDecoder } from "node:string_decoder";

/**
 * Splits Docker's JSON-lines streams (build progress, events). Chunks split lines and even
 * multi-byte characters at arbitrary points, so bytes go through a StringDecoder and only
 * complete lines are parsed. A malformed line must not crash a long-lived stream: it is
 * handed to `onInvalid` instead.
 */
export class JsonLines {
  readonly #decoder = new StringDecoder("utf8");
  #pending = "";

  constructor(
    private readonly onValue: (value: unknown) => void,
    private readonly onInvalid: (line: string) => void = () => {},
  ) {}

  push(chunk: Buffer | string): void {
    this.#pending += typeof chunk === "string" ? chunk : this.#decoder.write(chunk);
    let newline = this.#pending.indexOf("\n");
    while (newline >= 0) {
      const line = this.#pending.slice(0, newline);
      this.#pending = this.#pending.slice(newline + 1);
      this.#parse(line);
      newline = this.#pending.indexOf("\n");
    }
  }

  /** Parses a final line that arrived without its newline. */
  end(): void {
    const rest = this.#pending + this.#decoder.end();
    this.#pending = "";
    this.#parse(rest);
  }

  #parse(raw: string): void {
    const line = raw.trim();
    if (line === "") return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      this.onInvalid(line);
      return;
    }
    this.onValue(value);
  }
}
