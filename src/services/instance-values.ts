import { randomBytes } from "node:crypto";
import type { CapabilityManifest } from "../domain/capability-module.js";
import { DomainError } from "../domain/domain-error.js";

const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** A random string of letters and digits (no shell or URL metacharacters to escape anywhere). */
export function randomAlphanumeric(length: number): string {
  const bytes = randomBytes(length * 2);
  let out = "";
  // 248 = 4 × 62: bytes at or above it are skipped, so every character is equally likely.
  for (const b of bytes) if (b < 248 && out.length < length) out += ALPHANUMERIC[b % 62];
  return out.length === length ? out : out + randomAlphanumeric(length - out.length);
}

/** The plan a request names, or the module's default (the one marked default, else the first). */
export function planOf(m: CapabilityManifest, name: string | undefined) {
  const entries = Object.entries(m.plans);
  const chosen =
    name === undefined
      ? (entries.find(([, p]) => p.default) ?? entries[0])
      : entries.find(([n]) => n === name);
  if (!chosen)
    throw new DomainError(
      "invalid",
      `${m.id} has no plan '${name}' (plans: ${entries.map(([n]) => n).join(", ")})`,
      "plan",
    );
  return { name: chosen[0], ...chosen[1] };
}
