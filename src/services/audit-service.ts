import type { AuditEntry, AuditExportQuery, AuditQuery, AuditVerifyReport } from "../domain/audit.js";
import type { AuditRow } from "../store/audit-repository.js";
import type { Store } from "../store/store.js";

export type NewAuditEntry = Omit<AuditEntry, "id" | "at" | "hash">;

/** Records every mutating API call and reads them back; nothing here changes or removes a record. */
export class AuditService {
  constructor(private readonly store: Store) {}

  async record(entry: NewAuditEntry): Promise<void> {
    await this.store.audit.append({
      at: new Date().toISOString(),
      actor: text(entry.actor),
      token_id: entry.tokenId,
      tenant: text(entry.tenant),
      env: text(entry.env),
      action: text(entry.action),
      target: text(entry.target),
      result: entry.result,
      source: text(entry.source),
      detail: text(entry.detail),
      object_kind: entry.object?.kind ?? null,
      object_name: text(entry.object?.name ?? null),
      change: text(entry.change),
    });
  }

  async list(query: AuditQuery): Promise<AuditEntry[]> {
    const [kind, ...name] = (query.object ?? "").split("/");
    const rows = await this.store.audit.list({
      tenant: query.tenant,
      env: query.env,
      actor: query.actor,
      objectKind: kind || undefined,
      objectName: name.length > 0 ? name.join("/") : undefined,
      since: query.since,
      limit: query.limit,
    });
    return rows.map(toEntry);
  }

  /** The whole log (or a tenant's, since a time) as JSON lines, oldest first, for a SIEM. */
  async *export(query: AuditExportQuery): AsyncGenerator<string> {
    for await (const row of this.store.audit.each({ tenant: query.tenant, since: query.since }))
      yield `${JSON.stringify({ ...toEntry(row), prevHash: row.prev_hash })}\n`;
  }

  async verify(keptHead?: string): Promise<AuditVerifyReport> {
    const report = await this.store.audit.verify(keptHead);
    return { ok: report.problems.length === 0, ...report };
  }
}

/**
 * What a database stores exactly: a lone surrogate (from a decoded path or a command argument)
 * would be stored as U+FFFD and no longer match the hash made of it, and PostgreSQL refuses NUL.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function text<T extends string | null>(value: T): T {
  if (value === null) return value;
  return value.replace(LONE_SURROGATE, "\uFFFD").replaceAll("\0", "\uFFFD") as T;
}

function toEntry(r: AuditRow): AuditEntry {
  return {
    id: Number(r.id),
    at: r.at,
    actor: r.actor,
    tokenId: r.token_id,
    tenant: r.tenant,
    env: r.env,
    action: r.action,
    target: r.target,
    result: r.result,
    source: r.source,
    detail: r.detail,
    object:
      r.object_kind !== null && r.object_name !== null
        ? ({ kind: r.object_kind, name: r.object_name } as AuditEntry["object"])
        : null,
    change: r.change,
    hash: r.hash,
  };
}
