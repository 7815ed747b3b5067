import { createPrivateKey, generateKeyPairSync, KeyObject, X509Certificate } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DomainError } from "../../../src/domain/domain-error.js";
import type { IssuedCertificate } from "../../../src/tls/certificate-issuer.js";
import { checkUploadedCertificate } from "../../../src/tls/check-uploaded-certificate.js";
import { InternalCa } from "../../../src/tls/internal-ca.js";
import { SubjectAlternativeNameExtension, X509CertificateGenerator } from "../../../src/tls/x509.js";

const HOST = "shop.example.com";
const NOW = new Date("2030-06-01T12:00:00.000Z");

let root: string;
let ca: InternalCa;
let good: IssuedCertificate;
let other: IssuedCertificate;

const RSA: RsaHashedKeyGenParams = {
  name: "RSASSA-PKCS1-v1_5",
  modulusLength: 2048,
  publicExponent: new Uint8Array([1, 0, 1]),
  hash: "SHA-256",
};
const P256: EcKeyGenParams = { name: "ECDSA", namedCurve: "P-256" };

/** A self-signed certificate with exactly the names given, for shapes InternalCa never makes. */
async function selfSigned(
  options: { cn?: string; dns?: string[]; rsa?: boolean } = {},
): Promise<{ certPem: string; key: KeyObject }> {
  const algorithm = options.rsa ? RSA : { ...P256, hash: "SHA-256" };
  const keys = await crypto.subtle.generateKey(options.rsa ? RSA : P256, true, ["sign", "verify"]);
  const cert = await X509CertificateGenerator.createSelfSigned(
    {
      name: options.cn ? `CN=${options.cn}` : undefined,
      keys,
      signingAlgorithm: algorithm,
      notBefore: new Date(NOW.getTime() - 60_000),
      notAfter: new Date(NOW.getTime() + 60_000),
      extensions: options.dns
        ? [new SubjectAlternativeNameExtension(options.dns.map((value) => ({ type: "dns" as const, value })))]
        : [],
    },
    crypto,
  );
  return { certPem: cert.toString("pem"), key: KeyObject.from(keys.privateKey) };
}

/** The base64 lines of a PEM: what must never show up in an error message. */
const secretLines = (pem: string) => pem.split("\n").filter((l) => l && !l.startsWith("-----"));

function refusal(run: () => unknown): DomainError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError);
    return err as DomainError;
  }
  throw new Error("expected a DomainError, but the upload was accepted");
}

function expectRefused(field: "cert" | "key" | "host", certPem: string, keyPem: string, message?: RegExp) {
  const err = refusal(() => checkUploadedCertificate(HOST, certPem, keyPem, NOW));
  expect(err.code).toBe("invalid");
  expect(err.field).toBe(field);
  if (message) expect(err.message).toMatch(message);
  for (const line of [...secretLines(good.keyPem), ...secretLines(other.keyPem)]) {
    expect(err.message).not.toContain(line);
  }
  return err;
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "berth-upload-"));
  ca = await InternalCa.open(path.join(root, "ca"), { now: () => NOW });
  good = await ca.issue(HOST);
  other = await ca.issue(HOST);
});
afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe("checkUploadedCertificate accepts", () => {
  it("a matching certificate and key for the host, and describes the certificate", () => {
    const info = checkUploadedCertificate(HOST, good.certPem, good.keyPem, NOW);
    const caSubject = new X509Certificate(ca.caCertPem()).subject;
    expect(info).toEqual({
      notAfter: good.notAfter,
      subject: `CN=${HOST}`,
      issuer: caSubject,
      fingerprint: good.fingerprint,
      certPem: good.certPem,
      keyPem: good.keyPem,
    });
  });

  it("a leaf followed by its chain, keeping both in order", () => {
    const info = checkUploadedCertificate(HOST, good.certPem + ca.caCertPem(), good.keyPem, NOW);
    expect(info.certPem).toBe(good.certPem + ca.caCertPem());
    expect(info.fingerprint).toBe(good.fingerprint);
  });

  it("CRLF line endings, indentation and blank lines, returning clean PEM", () => {
    const messy = (pem: string) => `\r\n  ${pem.trim().split("\n").join("  \r\n\t")}\r\n\r\n`;
    const info = checkUploadedCertificate(HOST, messy(good.certPem), messy(good.keyPem), NOW);
    expect(info.certPem).toBe(good.certPem);
    expect(info.keyPem).toBe(good.keyPem);
    expect(info.certPem).not.toMatch(/\r|\t| \n/);
  });

  it("base64 wrapped at another width, re-wrapped at 64 columns", () => {
    const body = secretLines(good.certPem).join("");
    const wide = `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----`;
    expect(checkUploadedCertificate(HOST, wide, good.keyPem, NOW).certPem).toBe(good.certPem);
  });

  it("a SEC1 'EC PRIVATE KEY'", () => {
    const sec1 = createPrivateKey(good.keyPem).export({ type: "sec1", format: "pem" }) as string;
    expect(sec1).toContain("BEGIN EC PRIVATE KEY");
    expect(checkUploadedCertificate(HOST, good.certPem, sec1, NOW).keyPem).toBe(sec1);
  });

  it("the first and the last second of the validity period", () => {
    const leaf = new X509Certificate(good.certPem);
    for (const edge of [new Date(leaf.validFrom), new Date(leaf.validTo)]) {
      expect(checkUploadedCertificate(HOST, good.certPem, good.keyPem, edge).notAfter).toBe(good.notAfter);
    }
  });

  it("an RSA certificate with a PKCS#1 'RSA PRIVATE KEY'", async () => {
    const { certPem, key } = await selfSigned({ dns: [HOST], rsa: true });
    const pkcs1 = key.export({ type: "pkcs1", format: "pem" }) as string;
    expect(pkcs1).toContain("BEGIN RSA PRIVATE KEY");
    expect(checkUploadedCertificate(HOST, certPem, pkcs1, NOW).keyPem).toBe(pkcs1);
  });

  it("a wildcard certificate for a host one label below it", async () => {
    const { certPem, key } = await selfSigned({ dns: ["*.example.com"] });
    const keyPem = key.export({ type: "pkcs8", format: "pem" }) as string;
    expect(checkUploadedCertificate(HOST, certPem, keyPem, NOW).fingerprint).toMatch(/^[0-9a-f]{64}$/);
  });

  it("a certificate for a host too long for a CN (empty subject)", async () => {
    const label = "x".repeat(63);
    const host = `${label}.${label}.${label}.${"y".repeat(61)}`;
    const long = await ca.issue(host);
    expect(checkUploadedCertificate(host, long.certPem, long.keyPem, NOW).subject).toBe("");
  });
});

describe("checkUploadedCertificate refuses", () => {
  it("a key that belongs to another certificate", () => {
    expectRefused("key", good.certPem, other.keyPem, /does not belong/);
  });

  it("a certificate for another host", async () => {
    const elsewhere = await ca.issue("elsewhere.example.com");
    expectRefused("cert", elsewhere.certPem, elsewhere.keyPem, /not valid for shop\.example\.com/);
  });

  it("an expired certificate and one not valid yet", async () => {
    const old = await (
      await InternalCa.open(path.join(root, "old"), { now: () => new Date("2020-01-01T00:00:00Z") })
    ).issue(HOST);
    expectRefused("cert", old.certPem, old.keyPem, /expired on 2020-03-31T00:00:00\.000Z/);
    const leaf = new X509Certificate(good.certPem);
    const before = new Date(new Date(leaf.validFrom).getTime() - 1000);
    const err = refusal(() => checkUploadedCertificate(HOST, good.certPem, good.keyPem, before));
    expect(err).toMatchObject({ code: "invalid", field: "cert" });
    expect(err.message).toMatch(/not valid before/);
    const after = new Date(new Date(leaf.validTo).getTime() + 1000);
    expect(() => checkUploadedCertificate(HOST, good.certPem, good.keyPem, after)).toThrow(/expired/);
  });

  it("a wildcard that would cover two labels, and a partial wildcard", async () => {
    for (const dns of [["*.com"], ["*.example.com"], ["s*.example.com"]]) {
      const { certPem, key } = await selfSigned({ dns });
      const keyPem = key.export({ type: "pkcs8", format: "pem" }) as string;
      const host = dns[0] === "*.example.com" ? `deep.${HOST}` : HOST;
      const err = refusal(() => checkUploadedCertificate(host, certPem, keyPem, NOW));
      expect(err).toMatchObject({ code: "invalid", field: "cert" });
      expect(err.message).toMatch(/not valid for/);
    }
  });

  it("a certificate that names the host only in its CN, as browsers do", async () => {
    const { certPem, key } = await selfSigned({ cn: HOST });
    const keyPem = key.export({ type: "pkcs8", format: "pem" }) as string;
    expectRefused("cert", certPem, keyPem, /no DNS name in its subjectAltName/);
  });

  it("a key that is neither RSA nor EC", () => {
    const ed25519 = generateKeyPairSync("ed25519").privateKey.export({
      type: "pkcs8",
      format: "pem",
    }) as string;
    expectRefused("key", good.certPem, ed25519, /RSA or EC/);
  });

  it("an invalid host before looking at the files", () => {
    const err = refusal(() => checkUploadedCertificate("Shop.example.com", good.certPem, good.keyPem, NOW));
    expect(err).toMatchObject({ code: "invalid", field: "host" });
  });

  it("the chain before the leaf", () => {
    expectRefused("key", ca.caCertPem() + good.certPem, good.keyPem, /first certificate/);
  });

  it("an encrypted key", () => {
    const encrypted = createPrivateKey(good.keyPem).export({
      type: "pkcs8",
      format: "pem",
      cipher: "aes-256-cbc",
      passphrase: "secret",
    }) as string;
    expectRefused("key", good.certPem, encrypted, /unencrypted/);
  });

  it("a legacy encrypted key with PEM headers", () => {
    const body = secretLines(good.keyPem).join("\n");
    const legacy = `-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\n${body}\n-----END EC PRIVATE KEY-----\n`;
    expectRefused("key", good.certPem, legacy, /line 2/);
  });

  it("two keys, or no key", () => {
    expectRefused("key", good.certPem, good.keyPem + other.keyPem, /exactly one/);
    expectRefused("key", good.certPem, "", /exactly one/);
    expectRefused("key", good.certPem, " \n\t\n", /exactly one/);
  });

  it("a key pasted into cert and a certificate pasted into key, without echoing either", () => {
    const err = expectRefused("cert", good.keyPem, good.keyPem, /only CERTIFICATE blocks/);
    expect(err.message).not.toContain("MI");
    expectRefused("key", good.certPem, good.certPem, /exactly one/);
  });

  it("an empty certificate", () => {
    expectRefused("cert", "", good.keyPem, /only CERTIFICATE blocks/);
  });

  it("text before, after or inside the blocks", () => {
    const [begin, ...rest] = good.certPem.trim().split("\n");
    expectRefused("cert", `hello\n${good.certPem}`, good.keyPem, /line 1 is outside/);
    expectRefused("cert", `${good.certPem}ssl_certificate /etc/shadow;\n`, good.keyPem, /outside/);
    expectRefused("key", good.certPem, `${good.keyPem}}\nserver { listen 80; }\n`, /outside/);
    expectRefused("cert", [begin, "ssl_certificate /etc/shadow;", ...rest].join("\n"), good.keyPem, /line 2/);
    expectRefused("cert", `# my cert\n${good.certPem}`, good.keyPem, /line 1/);
  });

  it("NUL and other control characters", () => {
    const lines = good.certPem.split("\n");
    lines[2] = `${lines[2]}\u0000`;
    expectRefused("cert", lines.join("\n"), good.keyPem, /line 3/);
    expectRefused("key", good.certPem, good.keyPem.replace("\n", "\n\u0000\n"), /line 2/);
    expectRefused("cert", `\u001b[2J${good.certPem}`, good.keyPem, /line 1/);
  });

  it("a block that is never closed or closed with another label", () => {
    const unclosed = good.certPem.replace("-----END CERTIFICATE-----\n", "");
    expectRefused("cert", unclosed, good.keyPem, /no -----END CERTIFICATE----- line/);
    expectRefused(
      "cert",
      good.certPem.replace("END CERTIFICATE", "END X509 CRL"),
      good.keyPem,
      /does not end/,
    );
    expectRefused("cert", good.certPem.replace("-----END", "--END"), good.keyPem, /neither base64/);
  });

  it("malformed base64 and bytes that are not a certificate", () => {
    expectRefused(
      "cert",
      good.certPem.replace(/\n[A-Za-z0-9+/]{4}/, "\n=AAA"),
      good.keyPem,
      /not valid base64/,
    );
    const junk = `-----BEGIN CERTIFICATE-----\n${Buffer.from("not a certificate at all").toString("base64")}\n-----END CERTIFICATE-----\n`;
    expectRefused("cert", junk, good.keyPem, /certificate 1 in cert is not a readable/);
    const junkKey = junk.replaceAll("CERTIFICATE", "PRIVATE KEY");
    expectRefused("key", good.certPem, junkKey, /not a readable private key/);
  });

  it("input over 64 KiB, quickly", () => {
    const line = `${"A".repeat(64)}\n`;
    const huge = `-----BEGIN CERTIFICATE-----\n${line.repeat(1100)}-----END CERTIFICATE-----\n`;
    expect(huge.length).toBeGreaterThan(64 * 1024);
    const started = performance.now();
    expectRefused("cert", huge, good.keyPem, /64 KiB/);
    expectRefused("key", good.certPem, huge.replaceAll("CERTIFICATE", "PRIVATE KEY"), /64 KiB/);
    expectRefused("cert", "-".repeat(10_000_000), good.keyPem, /64 KiB/);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it("something that is not a string", () => {
    expectRefused("cert", undefined as unknown as string, good.keyPem, /PEM text/);
    expectRefused("key", good.certPem, { toString: () => good.keyPem } as unknown as string, /PEM text/);
  });
});
