import { request as httpRequest } from "node:http";
import { Readable } from "node:stream";
import type { ReadableStream as NodeWebStream } from "node:stream/web";
import type { NodeHttpRequest } from "./light-fetch.js";
import { NodeHttpResponse } from "./light-fetch.js";

/**
 * The fetch the CLI gives @berth/client, on node:http: Node's own fetch (undici) costs a command
 * more to load and first use than all the rest of its start (docs/decisions.md). Imported on the
 * first request (api-calls.ts), so `berth --version` or `--help` load neither node:http nor this.
 */

const isWebStream = (body: unknown): body is NodeWebStream<Uint8Array> =>
  typeof (body as { getReader?: unknown }).getReader === "function";

/** fetch(request) on node:http, or node:https for an https:// server. */
export async function nodeHttpFetch(input: Request): Promise<Response> {
  const req = input as unknown as NodeHttpRequest;
  const url = new URL(req.url);
  const send = url.protocol === "https:" ? (await import("./https-request.js")).httpsRequest : httpRequest;
  const headers: Record<string, string> = {};
  for (const [name, value] of req.headers) headers[name] = value;
  const body = req.body;
  // A Blob by its method (naming the global would load it), an ArrayBuffer as bytes.
  const payload =
    typeof (body as Blob | undefined)?.arrayBuffer === "function"
      ? Buffer.from(await (body as Blob).arrayBuffer())
      : body instanceof ArrayBuffer
        ? Buffer.from(body)
        : body;
  return new Promise<Response>((resolve, reject) => {
    const request = send(url, { method: req.method, headers, signal: req.signal }, (res) =>
      resolve(new NodeHttpResponse(res, url.href, () => Readable.toWeb(res)) as unknown as Response),
    );
    request.on("error", reject);
    if (payload === undefined || payload === null) request.end();
    else if (typeof payload === "string" || payload instanceof Uint8Array) request.end(payload);
    else if (isWebStream(payload) || payload instanceof Readable) {
      const stream = payload instanceof Readable ? payload : Readable.fromWeb(payload);
      stream.on("error", (error) => request.destroy(error));
      stream.pipe(request);
    } else {
      request.destroy();
      reject(new TypeError(`nodeHttpFetch cannot send a ${typeof payload} body`));
    }
  });
}
