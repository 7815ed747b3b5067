import { createHash } from "node:crypto";

/** Plain lower-case hex without colons, so it can be compared and stored as-is. */
export function certificateFingerprint(der: ArrayBuffer | Uint8Array): string {
  return createHash("sha256")
    .update(der instanceof Uint8Array ? der : new Uint8Array(der))
    .digest("hex");
}
