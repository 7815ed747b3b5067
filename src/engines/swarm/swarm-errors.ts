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

/** Node's codes for a server certificate the given CA does not vouch for. */
const UNTRUSTED = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/** OpenSSL's alert text means nothing to most users: say which side refused whom, and what to give. */
function tlsFailure(error: unknown, cluster: string): DomainError | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== "string") return undefined;
  const reason = error instanceof Error ? error.message : code;
  if (/^ERR_SSL_.*ALERT_(BAD_CERTIFICATE|CERTIFICATE_REQUIRED|UNKNOWN_CA|CERTIFICATE_UNKNOWN)$/.test(code))
    return new DomainError(
      "unavailable",
      `the manager of cluster ${cluster} refused Berth's client certificate: give --tls-cert and --tls-key issued by a CA the manager trusts (its dockerd --tlscacert)`,
    );
  if (UNTRUSTED.has(code))
    return new DomainError(
      "unavailable",
      `the manager of cluster ${cluster} is not trusted (${reason}): --tls-ca must be the CA that issued the manager's certificate, for the address in --docker-host`,
    );
  return undefined;
}

/** A manager that cannot reach a quorum answers 503: no change may be made through it. */
export function swarmUnavailable(error: unknown, cluster: string): unknown {
  const tls = tlsFailure(error, cluster);
  if (tls) return tls;
  if (statusCode(error) === 503 || NO_QUORUM.test(apiMessage(error))) return cannotChange(cluster, error);
  return unreachable(error);
}
