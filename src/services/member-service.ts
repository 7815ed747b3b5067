import { DomainError } from "../domain/domain-error.js";
import type { Member } from "../domain/identity.js";
import type { Role } from "../domain/roles.js";
import type { Store } from "../store/store.js";
import { findEnv, findTenant } from "./lookup.js";
import { NO_AUDIT, WritePath } from "./write-path.js";

/** Who belongs to a tenant and with which role, and which environments are protected. */
export class MemberService {
  constructor(
    private readonly store: Store,
    private readonly writes: WritePath = new WritePath(store, NO_AUDIT),
  ) {}

  async list(tenant: string): Promise<Member[]> {
    const t = await findTenant(this.store, tenant);
    return (await this.store.memberships.ofTenant(t.id)).map((m) => ({
      user: m.user,
      role: m.role as Role,
      since: m.created_at,
    }));
  }

  /** Adds a member or changes their role. A tenant keeps at least one owner once it has one. */
  async put(tenant: string, user: string, role: Role): Promise<Member> {
    await this.writes.run(
      { tenant, object: { kind: "member", name: user }, change: { role } },
      async (tx) => {
        const t = await findTenant(tx, tenant);
        const u = await tx.users.find(user);
        if (!u)
          throw new DomainError(
            "not_found",
            `user '${user}' does not exist; a platform admin creates it with 'berth user create ${user}'`,
            "user",
          );
        const before = await tx.memberships.roleOf(t.id, u.id);
        if (before === "owner" && role !== "owner") await this.keepAnOwner(tx, t.id, user, tenant);
        await tx.memberships.put(t.id, u.id, role);
      },
    );
    const member = (await this.list(tenant)).find((m) => m.user === user);
    if (!member) throw new Error(`membership of ${user} in ${tenant} vanished`);
    return member;
  }

  async remove(tenant: string, user: string): Promise<void> {
    const op = { tenant, object: { kind: "member", name: user }, change: { removed: true } } as const;
    await this.writes.run(op, async (tx) => {
      const t = await findTenant(tx, tenant);
      const u = await tx.users.find(user);
      const role = u ? await tx.memberships.roleOf(t.id, u.id) : undefined;
      if (!u || !role)
        throw new DomainError("not_found", `'${user}' is not a member of tenant '${tenant}'`, "user");
      if (role === "owner") await this.keepAnOwner(tx, t.id, user, tenant);
      await tx.memberships.remove(t.id, u.id);
    });
  }

  /**
   * null unprotects. Protection is the weakest role that may deploy, change config or read
   * secrets there; "maintainer" is what `berth env protect` sets by default.
   */
  async protect(tenant: string, env: string, minRole: Role | null): Promise<void> {
    const op = {
      tenant,
      object: { kind: "environment", name: env },
      env,
      change: { protectedFor: minRole },
    } as const;
    await this.writes.run(op, async (tx) => {
      const t = await findTenant(tx, tenant);
      const e = await findEnv(tx, t, env);
      await tx.environments.setMinRole(e.id, minRole === "developer" ? null : minRole);
    });
  }

  private async keepAnOwner(tx: Store, tenantId: number, user: string, tenant: string): Promise<void> {
    const owners = (await tx.memberships.ofTenant(tenantId)).filter((m) => m.role === "owner");
    if (owners.length <= 1)
      throw new DomainError(
        "conflict",
        `'${user}' is the last owner of tenant '${tenant}'; make someone else owner first`,
        "user",
      );
  }
}
