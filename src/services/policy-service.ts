import { DomainError } from "../domain/domain-error.js";
import {
  Capability,
  DevicePath,
  type ExceptionKind,
  exceptionNeedsValues,
  HostPath,
  judgeElevation,
  type PolicyException,
} from "../domain/isolation.js";
import type { Store } from "../store/store.js";
import { elevationOf } from "./isolation-guard.js";
import { findTenant } from "./lookup.js";
import type { AuditNotes } from "./ports.js";
import { WritePath } from "./write-path.js";

const VALUE_SHAPE = { capabilities: Capability, devices: DevicePath, "host-mounts": HostPath } as const;

/**
 * Isolation exceptions: only platform admins grant them, one tenant and one kind at a time, each
 * with a reason that lands in the audit log next to who granted it.
 */
export class PolicyService {
  constructor(
    private readonly store: Store,
    private readonly notes: AuditNotes,
    private readonly writes: WritePath = new WritePath(store, notes),
  ) {}

  async list(tenant: string): Promise<PolicyException[]> {
    const t = await findTenant(this.store, tenant);
    return (await this.store.exceptions.list(t.id)).map((r) => ({
      kind: r.kind,
      values: r.values,
      reason: r.reason,
      grantedBy: r.granted_by,
      grantedAt: r.granted_at,
    }));
  }

  async grant(
    tenant: string,
    kind: ExceptionKind,
    values: string[],
    reason: string,
    by: string,
  ): Promise<PolicyException> {
    const t = await findTenant(this.store, tenant);
    if (exceptionNeedsValues(kind)) {
      if (values.length === 0)
        throw new DomainError(
          "invalid",
          `a ${kind} exception names what it covers, e.g. ${example(kind)}`,
          "values",
        );
      const shape = VALUE_SHAPE[kind as keyof typeof VALUE_SHAPE];
      values.forEach((v, i) => {
        const ok = shape.safeParse(v);
        if (!ok.success)
          throw new DomainError("invalid", `values.${i}: ${ok.error.issues[0]?.message}`, `values.${i}`);
      });
    } else if (values.length > 0) {
      throw new DomainError("invalid", `a ${kind} exception is a switch; it takes no values`, "values");
    }
    const unique = [...new Set(values)].sort();
    const op = {
      object: { kind: "exception", name: kind },
      change: { tenant, values: unique, reason },
    } as const;
    await this.writes.run(op, (tx) => tx.exceptions.put(t.id, kind, unique, reason, by));
    this.notes.note(
      `granted ${kind}${unique.length ? ` (${unique.join(", ")})` : ""} to ${tenant}: ${reason}`,
    );
    const granted = (await this.list(tenant)).find((x) => x.kind === kind);
    if (!granted) throw new Error(`exception ${kind} of ${tenant} vanished`);
    return granted;
  }

  /** Stops the next release relying on it; says which running releases still do. */
  async revoke(
    tenant: string,
    kind: ExceptionKind,
  ): Promise<{ kind: ExceptionKind; stillRunning: string[] }> {
    const t = await findTenant(this.store, tenant);
    const op = { object: { kind: "exception", name: kind }, change: { tenant, revoked: true } } as const;
    if ((await this.writes.run(op, (tx) => tx.exceptions.remove(t.id, kind))) === 0)
      throw new DomainError("not_found", `tenant '${tenant}' has no ${kind} exception`);
    this.notes.note(`revoked ${kind} of ${tenant}`);
    const left = (await this.list(tenant)).map((x) => ({ kind: x.kind, values: x.values }));
    const stillRunning: string[] = [];
    for (const d of await this.store.deployments.listForTenant(tenant)) {
      if (d.release === null) continue;
      const row = await this.store.releases.find(d.app_id, d.env_id, d.release);
      if (row && judgeElevation(elevationOf(row.resources), left).refused.length > 0)
        stillRunning.push(`${d.app}/${d.env} (release ${d.release})`);
    }
    return { kind, stillRunning };
  }
}

const example = (kind: ExceptionKind) =>
  kind === "capabilities" ? "NET_ADMIN" : kind === "devices" ? "/dev/fuse" : "/srv/shared";
