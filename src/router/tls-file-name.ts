import { createHash } from "node:crypto";
import type { SiteTls } from "./route.js";

/** Content-addressed, so a changed certificate is a new file and nginx never reads a half-written one. */
export function tlsFileName(tls: SiteTls): string {
  return `${createHash("sha256").update(tls.certPem).update("\n").update(tls.keyPem).digest("hex").slice(0, 32)}.pem`;
}

/** nginx reads key and chain from one file: key first, then the leaf and its chain. */
export const tlsFileContent = (tls: SiteTls): string => `${tls.keyPem}${tls.certPem}`;
