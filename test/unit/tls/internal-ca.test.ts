import { createHash, createPrivateKey, X509Certificate } from "node:crypto";
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DomainError } from "../../../src/domain/domain-error.js";
import { InternalCa } from "../../../src/tls/internal-ca.js";
import {
  BasicConstraintsExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  X509Certificate as PeculiarX509,
  SubjectAlternativeNameExtension,
} from "../../../src/tls/x509.js";

const HOST = "app.dev.acme.localhost";
const NOW = new Date("2030-06-01T12:00:00.000Z");
const DAY_MS = 86_400_000;
const SERVER_AUTH = "1.3.6.1.5.5.7.3.1";

let root: string;
const freshDir = () => mkdtemp(path.join(root, "ca-"));
const mode = async (p: string) => (await stat(p)).mode & 0o777;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "berth-tls-"));
});
afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe("InternalCa.open", () => {
  it("creates a P-256 CA certificate limited to signing leaves", async () => {
    const ca = await InternalCa.open(await freshDir(), { now: () => NOW });
    const cert = new X509Certificate(ca.caCertPem());
    expect(ca.name).toBe("internal");
    expect(cert.ca).toBe(true);
    expect(cert.subject).toMatch(/^CN=Berth internal CA [0-9a-f]{8}$/);
    expect(cert.issuer).toBe(cert.subject);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
    expect(new Date(cert.validFrom).getTime()).toBe(NOW.getTime() - 5 * 60_000);
    expect(new Date(cert.validTo).toISOString()).toBe("2040-06-01T12:00:00.000Z");

    const parsed = new PeculiarX509(ca.caCertPem());
    const basic = parsed.getExtension(BasicConstraintsExtension);
    expect(basic?.ca).toBe(true);
    expect(basic?.pathLength).toBe(0);
    expect(basic?.critical).toBe(true);
    expect(parsed.getExtension(KeyUsagesExtension)?.usages).toBe(
      KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign,
    );
  });

  it("keeps the key private: directory 0700, key file 0600", async () => {
    const dir = path.join(await freshDir(), "nested", "ca");
    await InternalCa.open(dir);
    expect(await mode(dir)).toBe(0o700);
    expect(await mode(path.join(dir, "ca.key"))).toBe(0o600);
    expect(
      (await readFile(path.join(dir, "ca.key"), "utf8")).startsWith("-----BEGIN PRIVATE KEY-----\n"),
    ).toBe(true);
  });

  it("tightens an existing directory that others could read", async () => {
    const dir = await freshDir();
    await chmod(dir, 0o755);
    await InternalCa.open(dir);
    expect(await mode(dir)).toBe(0o700);
  });

  it("reuses the CA on later opens", async () => {
    const dir = await freshDir();
    const first = await InternalCa.open(dir);
    const second = await InternalCa.open(dir);
    expect(second.caCertPem()).toBe(first.caCertPem());
    const leaf = new X509Certificate((await second.issue(HOST)).certPem);
    expect(leaf.verify(new X509Certificate(first.caCertPem()).publicKey)).toBe(true);
  });

  it("ends with one CA when several opens race on a new directory", async () => {
    const dir = await freshDir();
    const cas = await Promise.all(Array.from({ length: 8 }, () => InternalCa.open(dir)));
    const pems = new Set(cas.map((ca) => ca.caCertPem()));
    expect(pems.size).toBe(1);
    expect((await readdir(dir)).sort()).toEqual(["ca.crt", "ca.key"]);
    // Every instance signs with the key that matches the one certificate on disk.
    const caKey = new X509Certificate(await readFile(path.join(dir, "ca.crt"), "utf8")).publicKey;
    for (const ca of cas) {
      expect(new X509Certificate((await ca.issue(HOST)).certPem).verify(caKey)).toBe(true);
    }
  });

  it("refuses a CA certificate that does not belong to the key", async () => {
    const a = await freshDir();
    const b = await freshDir();
    await InternalCa.open(a);
    await InternalCa.open(b);
    await writeFile(path.join(b, "ca.crt"), await readFile(path.join(a, "ca.crt")));
    await expect(InternalCa.open(b)).rejects.toThrow(/not a CA certificate for ca.key/);
  });

  it("refuses a leaf lifetime that is not a positive whole number of days", async () => {
    await expect(InternalCa.open(await freshDir(), { leafDays: 0 })).rejects.toThrow(/leafDays/);
    await expect(InternalCa.open(await freshDir(), { leafDays: 1.5 })).rejects.toThrow(/leafDays/);
  });
});

describe("InternalCa.issue", () => {
  let ca: InternalCa;
  let caPublicKey: X509Certificate["publicKey"];
  beforeAll(async () => {
    ca = await InternalCa.open(await freshDir(), { now: () => NOW });
    caPublicKey = new X509Certificate(ca.caCertPem()).publicKey;
  });

  it("issues a server certificate for the host, signed by the CA", async () => {
    const issued = await ca.issue(HOST);
    const leaf = new X509Certificate(issued.certPem);
    expect(leaf.verify(caPublicKey)).toBe(true);
    expect(leaf.checkIssued(new X509Certificate(ca.caCertPem()))).toBe(true);
    expect(leaf.ca).toBe(false);
    expect(leaf.subject).toBe(`CN=${HOST}`);
    expect(leaf.subjectAltName).toBe(`DNS:${HOST}`);
    expect(leaf.keyUsage).toEqual([SERVER_AUTH]);
    expect(leaf.checkHost(HOST, { subject: "never" })).toBe(HOST);
    expect(leaf.checkHost("other.dev.acme.localhost")).toBeUndefined();

    const parsed = new PeculiarX509(issued.certPem);
    expect(parsed.getExtension(KeyUsagesExtension)?.usages).toBe(KeyUsageFlags.digitalSignature);
    expect(parsed.getExtension(BasicConstraintsExtension)?.ca).toBe(false);
  });

  it("dates it from five minutes ago to leafDays (default 90) from now", async () => {
    const issued = await ca.issue(HOST);
    const leaf = new X509Certificate(issued.certPem);
    expect(new Date(leaf.validFrom).getTime()).toBe(NOW.getTime() - 5 * 60_000);
    expect(new Date(leaf.validTo).getTime()).toBe(NOW.getTime() + 90 * DAY_MS);
    expect(issued.notAfter).toBe(new Date(NOW.getTime() + 90 * DAY_MS).toISOString());

    const short = await InternalCa.open(await freshDir(), { now: () => NOW, leafDays: 7 });
    expect((await short.issue(HOST)).notAfter).toBe(new Date(NOW.getTime() + 7 * DAY_MS).toISOString());
  });

  it("returns a PKCS#8 P-256 key that matches the certificate", async () => {
    const issued = await ca.issue(HOST);
    expect(issued.keyPem.startsWith("-----BEGIN PRIVATE KEY-----\n")).toBe(true);
    const key = createPrivateKey(issued.keyPem);
    expect(key.asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
    expect(new X509Certificate(issued.certPem).checkPrivateKey(key)).toBe(true);
    const other = await ca.issue(HOST);
    expect(new X509Certificate(issued.certPem).checkPrivateKey(createPrivateKey(other.keyPem))).toBe(false);
  });

  it("gives each certificate a fresh positive 16-byte serial and a sha256 fingerprint", async () => {
    const [a, b] = await Promise.all([ca.issue(HOST), ca.issue(HOST)]);
    const serials = [a, b].map((i) => new X509Certificate(i.certPem).serialNumber);
    for (const serial of serials) expect(serial).toMatch(/^[4-7][0-9A-F]{31}$/);
    expect(serials[0]).not.toBe(serials[1]);
    for (const issued of [a, b]) {
      const leaf = new X509Certificate(issued.certPem);
      expect(issued.fingerprint).toBe(createHash("sha256").update(leaf.raw).digest("hex"));
      expect(issued.fingerprint).toBe(leaf.fingerprint256.replaceAll(":", "").toLowerCase());
    }
    expect(a.fingerprint).not.toBe(b.fingerprint);
  });

  it("leaves the subject empty and marks the SAN critical for hosts longer than a CN may be", async () => {
    const label = "x".repeat(63);
    const host = `${label}.${label}.${label}.${"y".repeat(61)}`;
    expect(host.length).toBe(253);
    const issued = await ca.issue(host);
    const leaf = new X509Certificate(issued.certPem);
    // Node reports an empty subject as undefined, whatever its typings say.
    expect(leaf.subject ?? "").toBe("");
    expect(leaf.checkHost(host)).toBe(host);
    expect(new PeculiarX509(issued.certPem).getExtension(SubjectAlternativeNameExtension)?.critical).toBe(
      true,
    );
  });

  it.each([
    "",
    "App.dev.acme.localhost",
    "a..b",
    "-a.localhost",
    "a-.localhost",
    "*.acme.localhost",
    "a b.localhost",
    "app.localhost.",
    "app.localhost\n",
    "app.localhost;ssl_certificate",
    `${"x".repeat(64)}.localhost`,
    `${"abcdefghi.".repeat(25)}abcd`,
  ])("refuses host %j", async (host) => {
    const failure = ca.issue(host);
    await expect(failure).rejects.toBeInstanceOf(DomainError);
    await expect(failure).rejects.toMatchObject({ code: "invalid", field: "host" });
  });
});
