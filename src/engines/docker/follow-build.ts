import { DomainError } from "../../domain/domain-error.js";
import { JsonLines } from "./json-lines.js";

interface BuildMessage {
  stream?: unknown;
  status?: unknown;
  id?: unknown;
  error?: unknown;
  errorDetail?: { message?: unknown };
  aux?: { ID?: unknown };
}

/**
 * Follows the legacy builder's JSON-lines progress until the stream ends. Resolves with the
 * image ID from the `aux` message when Docker sent one. A failed build still answers HTTP 200,
 * so the `error` message inside the stream is the only failure signal; it rejects only after
 * the stream ends, so every log line before the failure reaches `onLog`.
 */
export function followBuild(
  progress: NodeJS.ReadableStream,
  onLog: (line: string) => void,
): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    let imageId: string | undefined;
    let failure: string | undefined;
    let settled = false;
    const settle = (error?: Error) => {
      if (settled) return;
      settled = true;
      if (error) reject(error);
      else if (failure !== undefined) reject(new DomainError("failed", `build failed: ${failure}`));
      else resolve(imageId);
    };

    const lines = new JsonLines(
      (value) => {
        if (typeof value !== "object" || value === null) return;
        const message = value as BuildMessage;
        if (typeof message.stream === "string") {
          for (const line of message.stream.split(/\r?\n/)) if (line.trim() !== "") onLog(line.trimEnd());
        }
        if (typeof message.status === "string") {
          onLog(typeof message.id === "string" ? `${message.id}: ${message.status}` : message.status);
        }
        if (typeof message.aux?.ID === "string") imageId = message.aux.ID;
        const error = message.errorDetail?.message ?? message.error;
        if (failure === undefined && error !== undefined) failure = String(error);
      },
      (line) => onLog(line),
    );

    const stream = progress as NodeJS.ReadableStream & { destroy?: (error?: Error) => void };
    stream.on("data", (chunk: Buffer | string) => {
      try {
        lines.push(chunk);
      } catch (error) {
        // onLog threw: stop the build rather than crash the process from inside a stream callback.
        settle(error as Error);
        stream.destroy?.();
      }
    });
    stream.once("end", () => {
      try {
        lines.end();
        settle();
      } catch (error) {
        settle(error as Error);
      }
    });
    stream.once("error", (error: Error) => settle(error));
    // Without "end" the build did not finish; the tag may still name an older image, so no fallback.
    stream.once("close", () =>
      settle(new DomainError("failed", "build failed: Docker closed the build stream before it finished")),
    );
  });
}
