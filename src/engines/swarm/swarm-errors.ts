import { DomainError } from "../../domain/domain-error.js";
import { statusCode, unreachable } from "../docker/status-code.js";

export function apiMessage(error: unknown): string {
  const json = (error as { json?: { message?: unknown } } | null)?.json;
  if (typeof json?.message === "string") return json.message.trim();
  return error instanceof Error ? error.message : String(error);
}

/** A manager that cannot reach a quorum answers 503: no change may be made through it. */
export function swarmUnavailable(error: unknown, cluster: string): unknown {
  const status = statusCode(error);
  if (
    status === 503 ||
    /does not have a leader|not part of a swarm|is not a swarm manager/i.test(apiMessage(error))
  )
    return new DomainError(
      "unavailable",
      `cluster ${cluster} cannot accept changes now: ${apiMessage(error).replace(/\s+/g, " ")}; nothing was changed`,
    );
  return unreachable(error);
}
