import type { Readable } from "node:stream";
import type { ReadableStream as NodeWebStream } from "node:stream/web";
import { BerthApiError, type BerthClient, createBerthClient } from "../../packages/client/src/index.js";
import { CliError, ServerUnreachable } from "./cli-error.js";
import { NodeHttpRequest } from "./light-fetch.js";

type Answer<T> = Promise<{ data?: T; error?: unknown; response: Response }>;

/**
 * How the CLI calls the API: @berth/client over node:http, with the CLI's errors. An error answer
 * becomes a CliError with the API's own sentence, field and issues; no answer at all becomes
 * ServerUnreachable.
 */
export abstract class ApiCalls {
  protected readonly api: BerthClient;

  constructor(
    readonly baseUrl: string,
    token: string,
  ) {
    this.api = createBerthClient({
      baseUrl,
      // Signing in is the one call made before there is a token.
      token: token || undefined,
      Request: NodeHttpRequest as unknown as typeof Request,
      fetch: async (request) => {
        // node:http loads with the first request: `berth --version` and `--help` send none.
        const { nodeHttpFetch } = await import("./node-http-fetch.js");
        return nodeHttpFetch(request).catch((error: unknown) => {
          const cause = (error as { code?: string }).code ?? (error as Error).message;
          throw new ServerUnreachable(
            `cannot reach the Berth server at ${baseUrl} (${cause}); is it running? (scripts/up starts it)`,
          );
        });
      },
    });
  }

  /** The answer's data, or a CliError for an error answer. */
  protected async call<T>(answer: Answer<T>): Promise<T> {
    const { data, error, response } = await answer;
    if (!response.ok) {
      const failure = new BerthApiError(response.status, error, response.statusText);
      throw new CliError(failure.message, 1, failure.field, failure.issues);
    }
    return data as T;
  }

  /** A streamed answer (parseAs: "stream") as a Node stream. */
  protected async stream(answer: Answer<ReadableStream<Uint8Array> | null>): Promise<Readable> {
    const body = await this.call(answer);
    const { Readable } = await import("./node-stream.js");
    return body ? Readable.fromWeb(body as unknown as NodeWebStream<Uint8Array>) : Readable.from([]);
  }
}
