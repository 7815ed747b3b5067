import { DomainError } from "../domain/domain-error.js";
import type {
  CreateTokenRequest,
  CreateUserRequest,
  IssuedToken,
  LoginRequest,
  Principal,
  TokenInfo,
  User,
  WhoAmI,
} from "../domain/identity.js";
import type { PasswordHasher } from "../domain/password-hasher.js";
import { atLeast, type Role } from "../domain/roles.js";
import type { Store } from "../store/store.js";
import type { TokenView } from "../store/token-repository.js";
import type { AccessService } from "./access-service.js";
import { hashToken, mintToken, TOKEN_SHAPE } from "./api-token.js";
import type { LoginThrottle } from "./login-throttle.js";
import { findEnv, findTenant } from "./lookup.js";
import { NO_AUDIT, WritePath } from "./write-path.js";

const DAY = 86_400;
export const LOGIN_TTL_SECONDS = 30 * DAY;
export const API_TOKEN_TTL_SECONDS = 90 * DAY;
/** last_used_at is a hint for people, not an audit record: one write a minute per token is enough. */
const TOUCH_EVERY_MS = 60_000;

/**
 * Users, passwords, sign-in and API tokens. A token is the only credential the API accepts;
 * sign-in trades a password for one. Tokens are stored as SHA-256 hashes and checked against
 * the store on every request, so a revocation holds from the very next one.
 */
export class IdentityService {
  /** A real hash to check unknown users against, so a wrong name costs as long as a wrong password. */
  private decoy: Promise<string> | undefined;

  constructor(
    private readonly store: Store,
    private readonly hasher: PasswordHasher,
    private readonly access: AccessService,
    private readonly throttle: LoginThrottle,
    private readonly now: () => Date = () => new Date(),
    private readonly writes: WritePath = new WritePath(store, NO_AUDIT),
  ) {}

  async authenticate(raw: string): Promise<Principal | undefined> {
    if (!TOKEN_SHAPE.test(raw)) return undefined;
    const row = await this.store.tokens.findByHash(hashToken(raw));
    if (!row || row.revoked_at !== null) return undefined;
    const now = this.now();
    if (row.expires_at !== null && Date.parse(row.expires_at) <= now.getTime()) return undefined;
    if (row.last_used_at === null || now.getTime() - Date.parse(row.last_used_at) > TOUCH_EVERY_MS)
      await this.store.tokens.touch(row.id);
    return principalOf(row);
  }

  /** A good password forgives that user's failures, not the address's: one's own account must not reset it. */
  async login(req: LoginRequest, source: string): Promise<IssuedToken> {
    const user = await this.throttle.attempt([`user:${req.user}`, `source:${source}`], async () => {
      const row = await this.store.users.find(req.user);
      const hash = row?.password_hash ?? (await this.decoyHash());
      const ok = (await this.hasher.verify(req.password, hash)) && row?.password_hash != null;
      return { ok, value: row };
    });
    if (!user) throw new DomainError("unauthorized", "wrong user name or password");
    const ttl = req.expiresInSeconds === undefined ? LOGIN_TTL_SECONDS : req.expiresInSeconds;
    return this.issue({ user_id: user.id, name: "login", kind: "login" }, ttl);
  }

  async whoami(p: Principal): Promise<WhoAmI> {
    const token = await this.store.tokens.find(p.tokenId);
    if (!token) throw new DomainError("unauthorized", "this token no longer exists");
    return {
      user: p.user,
      admin: p.admin,
      token: toInfo(token),
      tenants: await this.rolesOf(p),
    };
  }

  async createUser(req: CreateUserRequest): Promise<User> {
    const hash = req.password === undefined ? null : await this.hasher.hash(req.password);
    const op = {
      object: { kind: "user", name: req.name },
      change: { admin: req.admin, password: hash !== null },
    } as const;
    await this.writes.run(op, async (tx) => {
      if (await tx.users.find(req.name))
        throw new DomainError("conflict", `user '${req.name}' already exists`, "name");
      await tx.users.create(req.name, hash, req.admin);
    });
    return this.user(req.name);
  }

  async listUsers(): Promise<User[]> {
    const users = await this.store.users.list();
    return Promise.all(users.map((u) => this.user(u.name)));
  }

  async user(name: string): Promise<User> {
    const row = await this.store.users.find(name);
    if (!row) throw new DomainError("not_found", `user '${name}' does not exist`);
    const memberships = await this.store.memberships.ofUser(row.id);
    return {
      name: row.name,
      admin: row.admin,
      hasPassword: row.password_hash !== null,
      tenants: memberships.map((m) => ({ tenant: m.tenant, role: m.role as Role })),
      createdAt: row.created_at,
    };
  }

  /** Their memberships and tokens go with them; the last platform admin cannot be deleted. */
  async deleteUser(name: string, by: Principal): Promise<void> {
    await this.writes.run({ object: { kind: "user", name }, change: { deleted: true } }, async (tx) => {
      const row = await tx.users.find(name);
      if (!row) throw new DomainError("not_found", `user '${name}' does not exist`);
      if (row.id === by.userId)
        throw new DomainError("conflict", "you cannot delete yourself; ask another platform admin");
      if (row.admin && (await tx.users.countAdmins()) <= 1)
        throw new DomainError("conflict", `'${name}' is the last platform admin`);
      await tx.users.delete(row.id);
    });
  }

  /**
   * Admins set anyone's password; everyone else only their own, and only with an unscoped token:
   * a password gives a session with all of the user's rights, more than a scoped token holds.
   */
  async setPassword(name: string, password: string, by: Principal): Promise<void> {
    if (by.scope)
      throw new DomainError(
        "forbidden",
        `this token is limited to tenant '${by.scope.tenant}'; passwords are changed with a session (berth login)`,
      );
    const row = await this.store.users.find(name);
    if (!row || (!by.admin && row.id !== by.userId))
      throw new DomainError(
        by.admin ? "not_found" : "forbidden",
        by.admin ? `user '${name}' does not exist` : "you may change only your own password",
      );
    const hash = await this.hasher.hash(password);
    await this.writes.run({ object: { kind: "user", name }, change: { password: "changed" } }, (tx) =>
      tx.users.setPassword(row.id, hash),
    );
  }

  /**
   * A token never reaches further than the token that made it: the same tenant (and environment)
   * if that one was scoped, and at most the caller's role there.
   */
  async createToken(p: Principal, req: CreateTokenRequest): Promise<IssuedToken> {
    if (req.env !== undefined && req.tenant === undefined)
      throw new DomainError("invalid", "an environment scope needs a tenant too", "env");
    if (req.role !== undefined && req.tenant === undefined)
      throw new DomainError("invalid", "a role limit needs a tenant too", "role");
    const ttl = req.expiresInSeconds === undefined ? API_TOKEN_TTL_SECONDS : req.expiresInSeconds;
    // A scoped token's tokens live no longer than it does, or a short-lived CI token could mint a permanent one.
    if (p.scope && p.expiresAt !== null) {
      const until = Date.parse(p.expiresAt);
      if (ttl === null || this.now().getTime() + ttl * 1000 > until)
        throw new DomainError(
          "forbidden",
          `this token expires at ${p.expiresAt}; a token made with it cannot live longer`,
          "expiresInSeconds",
        );
    }
    const name = req.name ?? (req.tenant ? `${req.tenant}${req.env ? `-${req.env}` : ""}` : "api");
    if (req.tenant === undefined) {
      if (p.scope)
        throw new DomainError(
          "forbidden",
          `this token is limited to tenant '${p.scope.tenant}'; a token made with it must be too`,
          "tenant",
        );
      return this.issue({ user_id: p.userId, name, kind: "api" }, ttl);
    }
    await this.access.require(p, "tenant.read", req.tenant);
    const tenant = await findTenant(this.store, req.tenant);
    const mine = (await this.access.standing(p, tenant)).role as Role;
    if (p.scope?.env && req.env !== p.scope.env)
      throw new DomainError(
        "forbidden",
        `this token is limited to environment ${p.scope.env}; a token made with it must be too`,
        "env",
      );
    const role = req.role ?? mine;
    if (!atLeast(mine, role))
      throw new DomainError(
        "forbidden",
        `you are ${mine} in tenant '${req.tenant}'; a token cannot have more (${role})`,
        "role",
      );
    const env = req.env === undefined ? undefined : await findEnv(this.store, tenant, req.env);
    return this.issue(
      { user_id: p.userId, name, kind: "api", tenant_id: tenant.id, env_id: env?.id ?? null, role },
      ttl,
    );
  }

  /**
   * The caller's own tokens; a platform admin may ask for everyone's. A scoped token sees (and
   * may revoke) only the user's tokens inside its own scope, never the wider ones.
   */
  async listTokens(p: Principal, all: boolean): Promise<TokenInfo[]> {
    if (all && !p.admin) throw new DomainError("forbidden", "only a platform admin sees everyone's tokens");
    const rows = await this.store.tokens.list(all ? {} : { userId: p.userId });
    return rows.filter((r) => withinScope(p, r)).map(toInfo);
  }

  /** Takes effect on the next request. Another user's token answers 404 unless you are an admin. */
  async revokeToken(p: Principal, id: number): Promise<TokenInfo> {
    const row = await this.store.tokens.find(id);
    if (!row || (!p.admin && (row.user_id !== p.userId || !withinScope(p, row))))
      throw new DomainError("not_found", `you have no token ${id}; see 'berth token list'`);
    await this.writes.run(
      { object: { kind: "token", name: row.name }, change: { id, revoked: true } },
      (tx) => tx.tokens.revoke(id),
    );
    return toInfo((await this.store.tokens.find(id)) as TokenView);
  }

  private async rolesOf(p: Principal): Promise<{ tenant: string; role: Role }[]> {
    const out: { tenant: string; role: Role }[] = [];
    for (const t of await this.access.visibleTenants(p)) {
      const role = (await this.access.standing(p, t)).role;
      if (role) out.push({ tenant: t.name, role });
    }
    return out;
  }

  private async issue(
    row: {
      user_id: number;
      name: string;
      kind: "login" | "api";
      tenant_id?: number | null;
      env_id?: number | null;
      role?: Role | null;
    },
    ttlSeconds: number | null,
  ): Promise<IssuedToken> {
    const token = mintToken();
    const expires =
      ttlSeconds === null ? null : new Date(this.now().getTime() + ttlSeconds * 1000).toISOString();
    // The token itself never reaches the audit log; its name, kind and reach do.
    const change = { kind: row.kind, tenantId: row.tenant_id, envId: row.env_id, role: row.role, expires };
    const op = {
      object: { kind: row.kind === "login" ? "session" : "token", name: row.name },
      change,
    } as const;
    const id = await this.writes.run(op, (tx) =>
      tx.tokens.create({ ...row, token_hash: hashToken(token), expires_at: expires }),
    );
    return { token, info: toInfo((await this.store.tokens.find(id)) as TokenView) };
  }

  private decoyHash(): Promise<string> {
    this.decoy ??= this.hasher.hash("a password nobody has");
    return this.decoy;
  }
}

/** A token `row` reaches no further than the caller's own token. */
function withinScope(p: Principal, row: TokenView): boolean {
  if (!p.scope) return true;
  return row.tenant_id === p.scope.tenantId && (p.scope.envId === null || row.env_id === p.scope.envId);
}

function principalOf(row: TokenView): Principal {
  return {
    userId: row.user_id,
    user: row.user,
    admin: row.user_admin && row.tenant_id === null,
    userAdmin: row.user_admin,
    tokenId: row.id,
    tokenName: row.name,
    expiresAt: row.expires_at,
    scope:
      row.tenant_id === null
        ? null
        : {
            tenantId: row.tenant_id,
            tenant: row.tenant as string,
            envId: row.env_id,
            env: row.env,
            role: row.role as Role | null,
          },
  };
}

const toInfo = (r: TokenView): TokenInfo => ({
  id: r.id,
  name: r.name,
  user: r.user,
  kind: r.kind === "login" ? "login" : "api",
  tenant: r.tenant,
  env: r.env,
  role: r.role as Role | null,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  lastUsedAt: r.last_used_at,
  revokedAt: r.revoked_at,
});
