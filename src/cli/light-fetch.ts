import { request as httpRequest, type IncomingMessage } from "node:http";
import type { ReadableStream as NodeWebStream } from "node:stream/web";

/**
 * Just enough of fetch's Headers, Request and Response for openapi-fetch, over node:http
 * (node-http-fetch.ts sends the requests). Node's own fetch is undici, which Node loads on first
 * use of any of these globals; that costs a CLI command more than all the rest of its start
 * (docs/decisions.md). The bundle (scripts/bundle-cli.mjs) gives openapi-fetch these Headers too,
 * so nothing on the CLI's path touches undici.
 */

type HeaderInit = Iterable<readonly [string, string]> | Record<string, string | string[] | undefined>;

/** Headers as openapi-fetch uses them: case-insensitive names, values joined by ", " when repeated. */
export class LightHeaders {
  private readonly map = new Map<string, string>();

  constructor(init?: HeaderInit) {
    if (!init) return;
    const pairs = Symbol.iterator in init ? init : Object.entries(init);
    for (const [name, value] of pairs as Iterable<[string, string | string[] | undefined]>) {
      if (Array.isArray(value)) for (const v of value) this.append(name, v);
      else if (value !== undefined) this.append(name, value);
    }
  }

  append(name: string, value: string): void {
    const key = name.toLowerCase();
    const had = this.map.get(key);
    this.map.set(key, had === undefined ? String(value) : `${had}, ${value}`);
  }
  set(name: string, value: string): void {
    this.map.set(name.toLowerCase(), String(value));
  }
  get(name: string): string | null {
    return this.map.get(name.toLowerCase()) ?? null;
  }
  has(name: string): boolean {
    return this.map.has(name.toLowerCase());
  }
  delete(name: string): void {
    this.map.delete(name.toLowerCase());
  }
  forEach(callback: (value: string, name: string, headers: LightHeaders) => void): void {
    for (const [name, value] of this.entries()) callback(value, name, this);
  }
  *entries(): IterableIterator<[string, string]> {
    yield* [...this.map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }
  *keys(): IterableIterator<string> {
    for (const [name] of this.entries()) yield name;
  }
  *values(): IterableIterator<string> {
    for (const [, value] of this.entries()) yield value;
  }
  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }
}

/** What openapi-fetch builds with `new Request(url, init)`; nodeHttpFetch reads it. */
export class NodeHttpRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: LightHeaders;
  readonly body: unknown;
  readonly signal: AbortSignal | undefined;

  constructor(input: string | URL, init: RequestInit = {}) {
    this.url = String(input);
    this.method = (init.method ?? "GET").toUpperCase();
    this.headers = new LightHeaders(init.headers as HeaderInit | undefined);
    this.body = init.body ?? undefined;
    this.signal = init.signal ?? undefined;
  }
}

/** A Response over a node:http answer: status, headers, and the body once, as text, JSON, bytes or a stream. */
export class NodeHttpResponse {
  readonly status: number;
  readonly statusText: string;
  readonly ok: boolean;
  readonly headers: LightHeaders;
  readonly redirected = false;
  readonly type = "basic";
  private stream: NodeWebStream<Uint8Array> | null | undefined;
  bodyUsed = false;

  constructor(
    private readonly res: IncomingMessage,
    readonly url: string,
    /** Readable.toWeb(res), from the caller: node:stream stays out of the CLI's start. */
    private readonly toWeb: () => NodeWebStream<Uint8Array>,
  ) {
    this.status = res.statusCode ?? 0;
    this.statusText = res.statusMessage ?? "";
    this.ok = this.status >= 200 && this.status < 300;
    this.headers = new LightHeaders(res.headers);
    // openapi-fetch never reads an empty body, and an answer left unread holds its keep-alive
    // socket until the server times it out: the command would not exit for seconds.
    if (!this.hasBody()) {
      res.resume();
      this.stream = null;
    }
  }

  private hasBody(): boolean {
    return ![204, 205, 304].includes(this.status) && this.res.headers["content-length"] !== "0";
  }

  get body(): NodeWebStream<Uint8Array> | null {
    if (this.stream === undefined) this.stream = this.toWeb();
    return this.stream;
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    if (this.stream === null) return new ArrayBuffer(0);
    if (this.bodyUsed || this.stream) throw new TypeError("the body was already read");
    this.bodyUsed = true;
    const chunks: Buffer[] = [];
    for await (const chunk of this.res) chunks.push(chunk as Buffer);
    const all = Buffer.concat(chunks);
    return all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
  }
  async text(): Promise<string> {
    return new TextDecoder().decode(await this.arrayBuffer());
  }
  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }
  async blob(): Promise<globalThis.Blob> {
    return new Blob([await this.arrayBuffer()], {
      type: this.headers.get("content-type") ?? "",
    }) as globalThis.Blob;
  }
  clone(): never {
    throw new TypeError("a node:http response cannot be cloned");
  }
}
