import type { AuditEntry, AuditQuery } from "../domain/audit.js";
import type { Store } from "../store/store.js";

/** Records every mutating API call and reads them back; nothing here changes or removes a record. */
export class AuditService {
  constructor(private readonly store: Store) {}

  async record(entry: Omit<AuditEntry, "id" | "at">): Promise<void> {
    await this.store.audit.append({
      at: new Date().toISOString(),
      actor: entry.actor,
      token_id: entry.tokenId,
      tenant: entry.tenant,
      action: entry.action,
      target: entry.target,
      result: entry.result,
      source: entry.source,
      detail: entry.detail,
    });
  }

  async list(query: AuditQuery): Promise<AuditEntry[]> {
    const rows = await this.store.audit.list(query);
    return rows.map((r) => ({
      id: r.id,
      at: r.at,
      actor: r.actor,
      tokenId: r.token_id,
      tenant: r.tenant,
      action: r.action,
      target: r.target,
      result: r.result,
      source: r.source,
      detail: r.detail,
    }));
  }
}
