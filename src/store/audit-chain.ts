import { createHash } from "node:crypto";

/** The fields of an audit row that its hash covers, in the order they are hashed. */
export interface ChainedFields {
  id: number;
  at: string;
  actor: string;
  token_id: number | null;
  tenant: string | null;
  env: string | null;
  action: string;
  target: string;
  result: number;
  source: string;
  detail: string | null;
  object_kind: string | null;
  object_name: string | null;
  change: string | null;
  prev_hash: string;
}

/** The chain's first link: what the first row's prev_hash is. */
export const GENESIS = "0".repeat(64);

/**
 * SHA-256 over a canonical JSON array of the row's fields, its id and the hash of the row before:
 * editing a row breaks its own hash, and removing, inserting or reordering rows breaks the link
 * of the row after. The array form leaves no room for two rows to encode alike.
 */
export function auditHash(row: ChainedFields): string {
  const canonical = JSON.stringify([
    row.id,
    row.at,
    row.actor,
    row.token_id,
    row.tenant,
    row.env,
    row.action,
    row.target,
    row.result,
    row.source,
    row.detail,
    row.object_kind,
    row.object_name,
    row.change,
    row.prev_hash,
  ]);
  return createHash("sha256").update(canonical).digest("hex");
}
