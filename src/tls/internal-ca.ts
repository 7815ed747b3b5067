import {
  createPrivateKey,
  createPublicKey,
  KeyObject,
  X509Certificate as NodeX509,
  randomBytes,
  randomUUID,
} from "node:crypto";
import { chmod, link, mkdir, open, readFile, rm } from "node:fs/promises";
import { isIPv4 } from "node:net";
import path from "node:path";
import { assertTlsHost } from "./assert-tls-host.js";
import { certificateFingerprint } from "./certificate-fingerprint.js";
import type { CertificateIssuer, IssuedCertificate } from "./certificate-issuer.js";
import {
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  ExtendedKeyUsage,
  ExtendedKeyUsageExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  SubjectAlternativeNameExtension,
  SubjectKeyIdentifierExtension,
  X509Certificate,
  X509CertificateGenerator,
} from "./x509.js";

export interface InternalCaOptions {
  /** Injected so tests can issue certificates that are already expired or not yet valid. */
  now?: () => Date;
  /** Leaf lifetime; 90 days like public ACME CAs, so renewal is exercised, not theoretical. */
  leafDays?: number;
}

const CA_KEY_FILE = "ca.key";
const CA_CERT_FILE = "ca.crt";
const CA_YEARS = 10;
const DAY_MS = 86_400_000;
/** Backdating tolerates clients whose clocks run a little behind ours. */
const BACKDATE_MS = 5 * 60_000;
/** RFC 5280's upper bound for a common name; longer hosts get an empty subject, as with ACME CAs. */
const MAX_COMMON_NAME = 64;
const P256: EcKeyGenParams = { name: "ECDSA", namedCurve: "P-256" };
const ECDSA_SHA256: EcdsaParams = { name: "ECDSA", hash: "SHA-256" };

const webcrypto = globalThis.crypto;

/** 16 random bytes with the top bit clear: a positive INTEGER that DER keeps at exactly 16 bytes. */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x40;
  return bytes.toString("hex");
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

/**
 * Returns the file's content, creating it first if it is missing. The content is written to a
 * temp file, flushed, and then hard-linked into place: link() fails when the name exists, so when
 * two processes race the first one wins for both of them and each returns what is on disk (a
 * rename would let the loser overwrite a key the winner has already signed a certificate with).
 */
async function readOrCreate(file: string, make: () => Promise<string>): Promise<string> {
  const existing = await readIfExists(file);
  if (existing !== undefined) return existing;
  const content = await make();
  const temp = `${file}.${randomUUID()}.tmp`;
  try {
    const handle = await open(temp, "wx", 0o600);
    try {
      await handle.chmod(0o600);
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await link(temp, file).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "EEXIST") throw err;
    });
  } finally {
    await rm(temp, { force: true });
  }
  return readFile(file, "utf8");
}

async function generateCaKeyPem(): Promise<string> {
  const keys = await webcrypto.subtle.generateKey(P256, true, ["sign", "verify"]);
  return KeyObject.from(keys.privateKey).export({ type: "pkcs8", format: "pem" }) as string;
}

async function importKeyPair(keyPem: string): Promise<CryptoKeyPair> {
  const spki = createPublicKey(keyPem).export({ type: "spki", format: "der" });
  const pkcs8 = createPrivateKey(keyPem).export({ type: "pkcs8", format: "der" });
  const [publicKey, privateKey] = await Promise.all([
    webcrypto.subtle.importKey("spki", spki, P256, true, ["verify"]),
    webcrypto.subtle.importKey("pkcs8", pkcs8, P256, false, ["sign"]),
  ]);
  return { publicKey, privateKey };
}

async function selfSignCaPem(keys: CryptoKeyPair, now: Date): Promise<string> {
  const notAfter = new Date(now);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + CA_YEARS);
  const cert = await X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: randomSerial(),
      // The random id tells apart the CAs of different Berth installs in a browser's trust store.
      name: `CN=Berth internal CA ${randomBytes(4).toString("hex")}`,
      keys,
      notBefore: new Date(now.getTime() - BACKDATE_MS),
      notAfter,
      signingAlgorithm: ECDSA_SHA256,
      extensions: [
        // pathLen 0: this CA signs leaves only, so a leaked leaf key can never mint certificates.
        new BasicConstraintsExtension(true, 0, true),
        new KeyUsagesExtension(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign, true),
        await SubjectKeyIdentifierExtension.create(keys.publicKey, false, webcrypto),
      ],
    },
    webcrypto,
  );
  return `${cert.toString("pem")}\n`;
}

/**
 * Berth's own certificate authority, for installs that cannot reach an ACME server. Clients
 * trust it by importing `caCertPem()`.
 */
export class InternalCa implements CertificateIssuer {
  readonly name = "internal";

  private constructor(
    private readonly caKeys: CryptoKeyPair,
    private readonly caCert: X509Certificate,
    private readonly caPem: string,
    private readonly now: () => Date,
    private readonly leafDays: number,
  ) {}

  /** Opens the CA kept in `dir`, creating it on first use. Safe to call concurrently. */
  static async open(dir: string, options: InternalCaOptions = {}): Promise<InternalCa> {
    const now = options.now ?? (() => new Date());
    const leafDays = options.leafDays ?? 90;
    if (!Number.isInteger(leafDays) || leafDays < 1) {
      throw new Error(`internal CA: leafDays must be a positive integer, got ${leafDays}`);
    }
    await mkdir(dir, { recursive: true, mode: 0o700 });
    // mkdir leaves an existing directory as it was; the CA key must not be listable by others.
    await chmod(dir, 0o700);

    const keyPem = await readOrCreate(path.join(dir, CA_KEY_FILE), generateCaKeyPem);
    const caKeys = await importKeyPair(keyPem);
    const caPem = await readOrCreate(path.join(dir, CA_CERT_FILE), () => selfSignCaPem(caKeys, now()));

    // Files edited or restored by hand must not leave Berth signing with a key nobody trusts.
    const check = new NodeX509(caPem);
    if (!check.ca || !check.checkPrivateKey(createPrivateKey(keyPem))) {
      throw new Error(`internal CA: ${CA_CERT_FILE} in ${dir} is not a CA certificate for ${CA_KEY_FILE}`);
    }
    return new InternalCa(caKeys, new X509Certificate(caPem), caPem, now, leafDays);
  }

  caCertPem(): string {
    return this.caPem;
  }

  /** For a DNS host name, or an IPv4 address (the built-in registry is reached by address). */
  async issue(host: string): Promise<IssuedCertificate> {
    const ip = isIPv4(host);
    if (!ip) assertTlsHost(host);
    const now = this.now().getTime();
    // A fresh key per certificate: renewing also rotates the key, and no key is shared by hosts.
    const keys = await webcrypto.subtle.generateKey(P256, true, ["sign", "verify"]);
    const hasCommonName = host.length <= MAX_COMMON_NAME;
    const cert = await X509CertificateGenerator.create(
      {
        serialNumber: randomSerial(),
        subject: hasCommonName ? `CN=${host}` : undefined,
        // The CA's own encoded name, so issuer and subject match byte for byte when chains are built.
        issuer: this.caCert.subjectName,
        notBefore: new Date(now - BACKDATE_MS),
        notAfter: new Date(now + this.leafDays * DAY_MS),
        publicKey: keys.publicKey,
        signingKey: this.caKeys.privateKey,
        signingAlgorithm: ECDSA_SHA256,
        extensions: [
          new BasicConstraintsExtension(false, undefined, true),
          new KeyUsagesExtension(KeyUsageFlags.digitalSignature, true),
          new ExtendedKeyUsageExtension([ExtendedKeyUsage.serverAuth]),
          // Clients match the host against the SAN only; the CN is for people reading the cert.
          // RFC 5280 wants the SAN critical when the subject is empty.
          new SubjectAlternativeNameExtension([{ type: ip ? "ip" : "dns", value: host }], !hasCommonName),
          await SubjectKeyIdentifierExtension.create(keys.publicKey, false, webcrypto),
          await AuthorityKeyIdentifierExtension.create(this.caKeys.publicKey, false, webcrypto),
        ],
      },
      webcrypto,
    );
    return {
      // The chain is empty: clients must already trust the CA, and sending a root is only noise.
      certPem: `${cert.toString("pem")}\n`,
      keyPem: KeyObject.from(keys.privateKey).export({ type: "pkcs8", format: "pem" }) as string,
      // From the certificate, not our clock: X.509 time has whole seconds.
      notAfter: cert.notAfter.toISOString(),
      fingerprint: certificateFingerprint(cert.rawData),
    };
  }
}
