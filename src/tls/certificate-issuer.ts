/** What the router needs to serve HTTPS for one host, whoever issued it. */
export interface IssuedCertificate {
  /** PEM: the leaf first, then any intermediates, as nginx's ssl_certificate expects. */
  certPem: string;
  /** PEM, PKCS#8. */
  keyPem: string;
  /** ISO 8601; renewal is scheduled from this. */
  notAfter: string;
  /** SHA-256 of the leaf's DER, lower-case hex: lets the router tell whether the file changed. */
  fingerprint: string;
}

/**
 * Issuance is a port so an ACME issuer can replace the internal CA where a public ACME server is
 * reachable; callers keep the name to know which issuer to renew with.
 */
export interface CertificateIssuer {
  readonly name: string;
  issue(host: string): Promise<IssuedCertificate>;
}
