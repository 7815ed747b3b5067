import { DNS_LABEL } from "../domain/dns-label.js";
import { DomainError } from "../domain/domain-error.js";

const MAX_DNS_NAME = 253;

/**
 * A host ends up in a certificate's subject, in nginx's server_name and in file names, so only
 * lower-case DNS names are accepted: no wildcards, no IP addresses, no trailing dot.
 */
export function assertTlsHost(host: string): void {
  const ok =
    typeof host === "string" &&
    host.length <= MAX_DNS_NAME &&
    host.split(".").every((label) => DNS_LABEL.test(label));
  if (!ok) {
    throw new DomainError(
      "invalid",
      "host must be a DNS name of at most 253 characters: dot-separated labels of lower-case letters, digits or '-'",
      "host",
    );
  }
}
