import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import SqliteDatabase from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ScryptPasswordHasher } from "../../src/crypto/scrypt-password-hasher.js";
import { DomainError } from "../../src/domain/domain-error.js";
import { AccessService } from "../../src/services/access-service.js";
import { IdentityService } from "../../src/services/identity-service.js";
import { LoginThrottle } from "../../src/services/login-throttle.js";
import { openSqliteStore } from "../../src/store/open-sqlite-store.js";
import type { Store } from "../../src/store/store.js";

/** Sign-in, tokens and their lifetimes on a real SQLite file and real scrypt, with a clock we move. */
describe("IdentityService", () => {
  let dir: string;
  let store: Store;
  let identity: IdentityService;
  let now = Date.parse("2026-12-01T12:00:00Z");
  const clock = () => new Date(now);
  const PASSWORD = "correct horse battery staple";

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "berth-identity-"));
    store = await openSqliteStore(join(dir, "berth.db"));
    identity = new IdentityService(
      store,
      new ScryptPasswordHasher(),
      new AccessService(store),
      new LoginThrottle(() => now),
      clock,
    );
    await identity.createUser({ name: "alice", password: PASSWORD, admin: false });
    await identity.createUser({ name: "robot", admin: false });
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("stores passwords only as salted scrypt hashes", () => {
    const db = new SqliteDatabase(join(dir, "berth.db"), { readonly: true });
    const rows = db.prepare("select name, password_hash from users order by name").all() as {
      name: string;
      password_hash: string | null;
    }[];
    db.close();
    const alice = rows.find((r) => r.name === "alice")?.password_hash ?? "";
    expect(alice).toMatch(/^scrypt\$131072\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(alice).not.toContain(PASSWORD);
    expect(rows.find((r) => r.name === "robot")?.password_hash).toBeNull();
  });

  it("signs in with the right password only, and the same answer for an unknown user", async () => {
    const issued = await identity.login({ user: "alice", password: PASSWORD }, "127.0.0.1");
    expect(issued.token).toMatch(/^berth_[A-Za-z0-9_-]{43}$/);
    expect(issued.info).toMatchObject({ user: "alice", kind: "login", tenant: null });
    expect(Date.parse(issued.info.expiresAt as string) - now).toBe(30 * 86_400_000);
    expect(await identity.authenticate(issued.token)).toMatchObject({
      user: "alice",
      admin: false,
      scope: null,
    });
    for (const attempt of [
      { user: "alice", password: "wrong password here" },
      { user: "nobody", password: PASSWORD },
      { user: "robot", password: PASSWORD },
    ]) {
      const error = await identity.login(attempt, "10.0.0.9").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DomainError);
      expect((error as DomainError).message).toBe("wrong user name or password");
    }
  });

  it("refuses an expired token from the moment it expires, and a revoked one at once", async () => {
    const p = await identity.authenticate(
      (await identity.login({ user: "alice", password: PASSWORD }, "x")).token,
    );
    if (!p) throw new Error("no principal");
    const short = await identity.createToken(p, { name: "short", expiresInSeconds: 60 });
    expect(await identity.authenticate(short.token)).toBeDefined();
    now += 59_000;
    expect(await identity.authenticate(short.token)).toBeDefined();
    now += 1_000;
    expect(await identity.authenticate(short.token)).toBeUndefined();

    const long = await identity.createToken(p, { name: "long", expiresInSeconds: null });
    expect(long.info.expiresAt).toBeNull();
    now += 5 * 365 * 86_400_000;
    expect(await identity.authenticate(long.token)).toBeDefined();
    await identity.revokeToken(p, long.info.id);
    expect(await identity.authenticate(long.token)).toBeUndefined();
  });

  it("keeps only a hash of each token, and refuses anything not shaped like one before asking the store", async () => {
    const db = new SqliteDatabase(join(dir, "berth.db"), { readonly: true });
    const hashes = (db.prepare("select token_hash from api_tokens").all() as { token_hash: string }[]).map(
      (r) => r.token_hash,
    );
    db.close();
    expect(hashes.every((h) => /^[0-9a-f]{64}$/.test(h))).toBe(true);
    for (const bad of ["", "berth_", "berth_short", `berth_${"a".repeat(43)}'--`, "Bearer x"])
      expect(await identity.authenticate(bad)).toBeUndefined();
  });

  it("throttles guessing: 10 failures for a user within 15 minutes refuse the 11th, even with the right password", async () => {
    await identity.createUser({ name: "bob", password: PASSWORD, admin: false });
    for (let i = 0; i < 10; i++)
      await expect(
        identity.login({ user: "bob", password: `guess number ${i}` }, `10.1.0.${i}`),
      ).rejects.toThrow(/wrong user name or password/);
    const blocked = await identity
      .login({ user: "bob", password: PASSWORD }, "10.2.0.1")
      .catch((e: DomainError) => e);
    expect(blocked).toMatchObject({ code: "rate_limited" });
    expect((blocked as DomainError).message).toMatch(/try again in 15 minutes/);
    now += 15 * 60_000 + 1;
    expect((await identity.login({ user: "bob", password: PASSWORD }, "10.2.0.1")).info.user).toBe("bob");
  });
});
