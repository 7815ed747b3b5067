import { createPrivateKey, type KeyObject, X509Certificate } from "node:crypto";
import { DomainError } from "../domain/domain-error.js";
import { assertTlsHost } from "./assert-tls-host.js";
import { certificateFingerprint } from "./certificate-fingerprint.js";
import { type PemBlock, parsePemBlocks } from "./parse-pem-blocks.js";

export interface CertificateInfo {
  /** ISO 8601. */
  notAfter: string;
  subject: string;
  issuer: string;
  /** SHA-256 of the leaf's DER, lower-case hex. */
  fingerprint: string;
  /** The uploads re-encoded (see parsePemBlocks): store and serve these, never the raw input. */
  certPem: string;
  keyPem: string;
}

/** Unencrypted keys only: nginx would stop at startup to ask for a passphrase. */
const KEY_TYPES: Record<string, "pkcs8" | "pkcs1" | "sec1"> = {
  "PRIVATE KEY": "pkcs8",
  "RSA PRIVATE KEY": "pkcs1",
  "EC PRIVATE KEY": "sec1",
};

const invalid = (field: "cert" | "key", message: string) => new DomainError("invalid", message, field);

/**
 * Node prints a multi-valued name one attribute per line (one line reads better in a table), and
 * gives undefined, despite its typings, for the empty subject of a certificate with only a SAN.
 */
const oneLine = (name: string | undefined) => (name ?? "").split("\n").join(", ");

function parseCertificates(certPem: string): { certs: X509Certificate[]; blocks: PemBlock[] } {
  const blocks = parsePemBlocks(certPem, "cert");
  if (blocks.length === 0 || blocks.some((b) => b.label !== "CERTIFICATE")) {
    throw invalid("cert", "cert must hold only CERTIFICATE blocks, the server's certificate first.");
  }
  const certs = blocks.map((block, i) => {
    try {
      return new X509Certificate(block.der);
    } catch {
      throw invalid("cert", `certificate ${i + 1} in cert is not a readable X.509 certificate.`);
    }
  });
  return { certs, blocks };
}

function parseKey(keyPem: string): { key: KeyObject; block: PemBlock } {
  const blocks = parsePemBlocks(keyPem, "key");
  const block = blocks[0];
  const type = block && KEY_TYPES[block.label];
  if (blocks.length !== 1 || !block || !type) {
    throw invalid(
      "key",
      "key must hold exactly one unencrypted PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY block.",
    );
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: block.der, format: "der", type });
  } catch {
    // OpenSSL's message is dropped on purpose: it is of no use to the user and may quote input.
    throw invalid("key", "key is not a readable private key.");
  }
  if (key.asymmetricKeyType !== "rsa" && key.asymmetricKeyType !== "ec") {
    throw invalid("key", "key must be an RSA or EC key.");
  }
  return { key, block };
}

/**
 * Checks a user's certificate and key before Berth writes them where nginx will load them: a bad
 * pair would make `nginx -t` reject every later route change, not just this host's.
 */
export function checkUploadedCertificate(
  host: string,
  certPem: string,
  keyPem: string,
  now: Date,
): CertificateInfo {
  assertTlsHost(host);
  const { certs, blocks } = parseCertificates(certPem);
  const { key, block } = parseKey(keyPem);
  const leaf = certs[0] as X509Certificate;

  if (!leaf.checkPrivateKey(key)) {
    throw invalid("key", "key does not belong to the first certificate in cert.");
  }
  // As browsers do: the subject CN is ignored and a wildcard covers exactly one whole label.
  if (leaf.checkHost(host, { subject: "never", partialWildcards: false }) === undefined) {
    throw invalid("cert", `cert is not valid for ${host}: no DNS name in its subjectAltName matches.`);
  }
  const validFrom = Date.parse(leaf.validFrom);
  const validTo = Date.parse(leaf.validTo);
  if (Number.isNaN(validFrom) || Number.isNaN(validTo)) {
    throw invalid("cert", "cert has validity dates that cannot be read.");
  }
  if (now.getTime() < validFrom) {
    throw invalid("cert", `cert is not valid before ${new Date(validFrom).toISOString()}.`);
  }
  if (now.getTime() > validTo) {
    throw invalid("cert", `cert expired on ${new Date(validTo).toISOString()}.`);
  }

  return {
    notAfter: new Date(validTo).toISOString(),
    subject: oneLine(leaf.subject),
    issuer: oneLine(leaf.issuer),
    fingerprint: certificateFingerprint(leaf.raw),
    certPem: blocks.map((b) => b.pem).join(""),
    keyPem: block.pem,
  };
}
