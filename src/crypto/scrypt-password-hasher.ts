import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import type { PasswordHasher } from "../domain/password-hasher.js";

/** OWASP's scrypt minimum (N=2^17, r=8, p=1): about 0.5 s of one core and 128 MiB per hash. */
const DEFAULT = { N: 2 ** 17, r: 8, p: 1 };
const KEY_BYTES = 32;

function derive(password: string, salt: Buffer, params: typeof DEFAULT): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(
      password.normalize("NFKC"),
      salt,
      KEY_BYTES,
      // maxmem must exceed 128 * N * r bytes, or node refuses the parameters.
      { ...params, maxmem: 256 * params.N * params.r + 1_048_576 },
      (err, key) => (err ? reject(err) : resolve(key)),
    ),
  );
}

/**
 * scrypt from node:crypto, in the libuv thread pool so the event loop keeps serving. The hash
 * carries its parameters (`scrypt$N$r$p$salt$key`, base64url), so they can be raised later
 * without breaking stored passwords.
 */
export class ScryptPasswordHasher implements PasswordHasher {
  constructor(private readonly params = DEFAULT) {}

  async hash(password: string): Promise<string> {
    const salt = randomBytes(16);
    const key = await derive(password, salt, this.params);
    const { N, r, p } = this.params;
    return ["scrypt", N, r, p, salt.toString("base64url"), key.toString("base64url")].join("$");
  }

  async verify(password: string, hash: string): Promise<boolean> {
    const parts = hash.split("$");
    if (parts.length !== 6 || parts[0] !== "scrypt") return false;
    const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
    // Only parameters this code could have written: a tampered row must not cost a gigabyte.
    if (
      ![N, r, p].every(Number.isInteger) ||
      N < 2 ** 10 ||
      N > 2 ** 20 ||
      r < 1 ||
      r > 32 ||
      p < 1 ||
      p > 16
    )
      return false;
    const expected = Buffer.from(parts[5] as string, "base64url");
    if (expected.length !== KEY_BYTES) return false;
    const key = await derive(password, Buffer.from(parts[4] as string, "base64url"), { N, r, p });
    return timingSafeEqual(key, expected);
  }
}
