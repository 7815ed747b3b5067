import { DomainError } from "../../domain/domain-error.js";
import { apiMessage, statusCode, unreachable } from "../docker/status-code.js";

const NO_QUORUM = /does not have a leader|not part of a swarm|is not a swarm manager/i;

/** "cluster X cannot accept changes now: WHY; nothing was changed" */
export function cannotChange(cluster: string, error: unknown): DomainError {
  const why = (error instanceof DomainError ? error.message : apiMessage(error)).replace(/\s+/g, " ");
  return new DomainError(
    "unavailable",
    `cluster ${cluster} cannot accept changes now: ${why}; nothing was changed`,
  );
}

/** A manager that cannot reach a quorum answers 503: no change may be made through it. */
export function swarmUnavailable(error: unknown, cluster: string): unknown {
  if (statusCode(error) === 503 || NO_QUORUM.test(apiMessage(error))) return cannotChange(cluster, error);
  return unreachable(error);
}
