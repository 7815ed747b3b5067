import { DomainError } from "../../domain/domain-error.js";

/**
 * docker-modem rejects with an Error carrying the HTTP status of the Engine API; the status is
 * the only reliable way to tell "absent" (404) or "taken" (409) from real failures.
 */
export function statusCode(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const status = (error as { statusCode?: unknown }).statusCode;
  return typeof status === "number" ? status : undefined;
}

/** Resolves to undefined instead of rejecting when the API answers with one of `statuses`. */
export async function ignoreStatus<T>(promise: Promise<T>, ...statuses: number[]): Promise<T | undefined> {
  try {
    return await promise;
  } catch (error) {
    const status = statusCode(error);
    if (status !== undefined && statuses.includes(status)) return undefined;
    throw unreachable(error);
  }
}

const UNREACHABLE = new Set(["ECONNREFUSED", "ENOENT", "EACCES", "ECONNRESET"]);

/** A socket-level failure to reach dockerd becomes a DomainError the user can act on. */
export function unreachable(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== "string" || !UNREACHABLE.has(code)) return error;
  return new DomainError(
    "unavailable",
    `cannot reach dockerd (${code}); is it running? (scripts/setup starts it, see /var/log/dockerd.log)`,
  );
}

/** The Engine API's own explanation, which docker-modem keeps under `json.message`. */
export function apiMessage(error: unknown): string {
  const json = (error as { json?: { message?: unknown } } | null)?.json;
  if (typeof json?.message === "string") return json.message.trim();
  // Errors from streaming endpoints carry the explanation only inside the message.
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^\(HTTP code \d+\) [^-]*- /, "").trim();
}
