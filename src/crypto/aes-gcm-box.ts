import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { DomainError } from "../domain/domain-error.js";
import type { SecretBox } from "../domain/secret-box.js";
import type { KeyRing } from "./key-ring.js";

const PREFIX = "berth:v1:";
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** AES-256-GCM from node:crypto. Format: `berth:v1:<key id>:<base64 iv|tag|ciphertext>`. */
export class AesGcmBox implements SecretBox {
  constructor(private readonly ring: KeyRing) {}

  seal(plaintext: string, context: string): string {
    const { id, key } = this.ring.current();
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", key, iv);
    cipher.setAAD(Buffer.from(context, "utf8"));
    const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    return `${PREFIX}${id}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64")}`;
  }

  open(sealed: string, context: string): string {
    const id = this.keyIdOf(sealed);
    const ring = this.ring.find(id);
    // Never echo the ciphertext or context: both can end up in logs through error messages.
    if (!ring)
      throw new DomainError(
        "failed",
        `a secret is encrypted with key ${id}, which is not in the key ring; restore the ring's backup`,
      );
    const raw = Buffer.from(sealed.slice(PREFIX.length + id.length + 1), "base64");
    try {
      const decipher = createDecipheriv("aes-256-gcm", ring.key, raw.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(context, "utf8"));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString(
        "utf8",
      );
    } catch {
      throw new DomainError("failed", `a secret sealed with key ${id} failed its integrity check`);
    }
  }

  keyIdOf(sealed: string): string {
    if (!sealed.startsWith(PREFIX))
      throw new DomainError("failed", "a stored secret is not in Berth's sealed format");
    return sealed.slice(PREFIX.length, sealed.indexOf(":", PREFIX.length));
  }

  currentKeyId(): string {
    return this.ring.current().id;
  }
}
