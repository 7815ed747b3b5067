import { DomainError } from "../domain/domain-error.js";

export interface PemBlock {
  label: string;
  der: Buffer;
  /** Re-encoded from `der`: 64-column base64, \n line endings, one trailing newline. */
  pem: string;
}

export const MAX_PEM_BYTES = 64 * 1024;

const BOUNDARY = /^-----(BEGIN|END) ([A-Z0-9]+(?: [A-Z0-9]+)*)-----$/;
const BASE64_LINE = /^[A-Za-z0-9+/=]+$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function toPem(label: string, der: Buffer): string {
  const body = der.toString("base64").replace(/.{64}/g, "$&\n").replace(/\n$/, "");
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

/**
 * Reads PEM text by allow-list: BEGIN/END lines, base64 and blank lines, nothing else. The
 * output is re-encoded from the decoded bytes, so nothing of the input text (comments, headers,
 * stray directives, control characters) can reach a file that nginx or OpenSSL reads. Error
 * messages give line numbers, never content: the text may be a private key.
 */
export function parsePemBlocks(text: string, field: string): PemBlock[] {
  const problem = (message: string) => new DomainError("invalid", `${field}: ${message}.`, field);
  if (typeof text !== "string") throw problem("must be PEM text");
  // Checked before any parsing, so the cost of a hostile input is bounded.
  if (Buffer.byteLength(text, "utf8") > MAX_PEM_BYTES) {
    throw problem(`is larger than ${MAX_PEM_BYTES / 1024} KiB`);
  }

  const blocks: PemBlock[] = [];
  let open: { label: string; body: string[]; line: number } | undefined;
  const lines = text.split(/\r\n|\r|\n/);
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    const at = `line ${index + 1}`;
    if (line === "") continue;
    const boundary = BOUNDARY.exec(line);
    if (!open) {
      if (boundary?.[1] !== "BEGIN") throw problem(`${at} is outside a -----BEGIN ...----- block`);
      open = { label: boundary[2] ?? "", body: [], line: index + 1 };
      continue;
    }
    if (boundary) {
      if (boundary[1] !== "END" || boundary[2] !== open.label) {
        throw problem(`${at} does not end the block begun on line ${open.line}`);
      }
      const body = open.body.join("");
      if (body.length === 0 || body.length % 4 !== 0 || !BASE64.test(body)) {
        throw problem(`the block begun on line ${open.line} is not valid base64`);
      }
      const der = Buffer.from(body, "base64");
      blocks.push({ label: open.label, der, pem: toPem(open.label, der) });
      open = undefined;
      continue;
    }
    if (!BASE64_LINE.test(line)) throw problem(`${at} is neither base64 nor a PEM boundary`);
    open.body.push(line);
  }
  if (open) throw problem(`the block begun on line ${open.line} has no -----END ${open.label}----- line`);
  return blocks;
}
