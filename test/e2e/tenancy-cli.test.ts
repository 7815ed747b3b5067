import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BerthProcess, type CliResult } from "../support/berth-process.js";

/**
 * Issue 5 as a platform team lives it, through the real CLI against a real server: an admin
 * makes users and a tenant, its owner signs in with a password, adds a developer and protects
 * prod; the developer deploys to dev but not to prod, runs into a quota, makes and revokes a CI
 * token, asks for a capability until an admin grants it; the audit log says who did what.
 */
describe("tenancy through the CLI", () => {
  let berth: BerthProcess;
  const homes: string[] = [];
  const PASSWORDS = { alice: "correct horse battery", bob: "bob's long password" };

  /** Each user has a home of their own, so `berth login` saves their own session. */
  const as = (user: string) => {
    const home = mkdtempSync(join(tmpdir(), `berth-${user}-`));
    homes.push(home);
    return (args: string[], input?: string): Promise<CliResult> =>
      berth.cli(args, { login: false, input, env: { HOME: home, XDG_CONFIG_HOME: home } });
  };
  const must = async (r: Promise<CliResult>) => {
    const x = await r;
    if (x.code !== 0) throw new Error(`exit ${x.code}: ${x.stderr}${x.stdout}`);
    return x.stdout;
  };
  const refused = async (r: Promise<CliResult>, message: RegExp) => {
    const x = await r;
    expect(x.code, x.stdout).toBe(1);
    expect(x.stderr.trim()).toMatch(message);
    expect(x.stderr.trim().split("\n")).toHaveLength(1);
  };
  let alice: ReturnType<typeof as>;
  let bob: ReturnType<typeof as>;

  beforeAll(async () => {
    berth = await BerthProcess.start({ drainMs: 200 });
    alice = as("alice");
    bob = as("bob");
  });
  afterAll(async () => {
    await berth?.destroy();
    for (const h of homes) rmSync(h, { recursive: true, force: true });
  });

  it("an admin creates users with hashed passwords and a tenant with its owner", async () => {
    for (const [name, password] of Object.entries(PASSWORDS)) {
      const r = await berth.cli(["user", "create", name, "--password-stdin"], { input: `${password}\n` });
      expect(r.code, r.stderr).toBe(0);
    }
    const short = await berth.cli(["user", "create", "carol", "--password-stdin"], { input: "short\n" });
    expect(short.code).toBe(1);
    expect(short.stderr).toMatch(/passwords have at least 12 characters/);
    const noTty = await berth.cli(["user", "create", "carol"]);
    expect(noTty.stderr).toMatch(/no terminal to ask for a password; pipe it in with --password-stdin/);
    const users = JSON.parse(await berth.ok(["user", "list", "--json"]));
    expect(users.map((u: { name: string; hasPassword: boolean }) => [u.name, u.hasPassword])).toEqual([
      ["admin", false],
      ["alice", true],
      ["bob", true],
    ]);
    await berth.ok(["tenant", "create", "acme", "--owner", "alice"]);
    await berth.ok(["tenant", "create", "globex"]);
    for (const env of ["dev", "prod"]) await berth.ok(["env", "create", env, "--tenant", "acme"]);
  }, 60_000);

  it("owners sign in with a password, add members and protect prod", async () => {
    await refused(
      alice(["login", berth.url, "--user", "alice", "--password-stdin"], "not the password"),
      /wrong user name or password/,
    );
    expect(
      await must(alice(["login", berth.url, "--user", "alice", "--password-stdin"], `${PASSWORDS.alice}\n`)),
    ).toMatch(/Logged in to .* as alice until \d{4}-\d\d-\d\d/);
    expect(await must(alice(["whoami"]))).toMatch(
      /alice, token \d+ 'login': all of your rights\n {2}acme: owner/,
    );
    await must(alice(["member", "add", "bob", "--tenant", "acme", "--role", "developer"]));
    await must(alice(["env", "protect", "prod", "--tenant", "acme"]));
    const envs = JSON.parse(await must(alice(["env", "list", "--tenant", "acme", "--json"])));
    expect(envs.map((e: { name: string; protectedFor: string | null }) => [e.name, e.protectedFor])).toEqual([
      ["dev", null],
      ["prod", "maintainer"],
    ]);
    expect(JSON.parse(await must(alice(["member", "list", "--tenant", "acme", "--json"])))).toEqual([
      expect.objectContaining({ user: "alice", role: "owner" }),
      expect.objectContaining({ user: "bob", role: "developer" }),
    ]);
    await refused(alice(["tenant", "create", "other"]), /needs a platform admin|platform admin/);
  });

  it("a developer deploys to dev, is refused prod and its secrets, and sees only their tenant", async () => {
    await must(bob(["login", berth.url, "--user", "bob", "--password-stdin"], PASSWORDS.bob));
    await must(bob(["use", "--tenant", "acme", "--env", "dev"]));
    await must(bob(["app", "create", "web"]));
    await must(
      bob([
        "resources",
        "set",
        "web",
        "--env",
        "dev",
        "--cpus",
        "0.1",
        "--memory",
        "32m",
        "--stage",
        "--command",
        '["httpd","-f","-p","8080","-h","/etc"]',
      ]),
    );
    expect(
      await must(
        bob([
          "deploy",
          "web",
          "--image",
          "berth/busybox:latest",
          "--port",
          "8080",
          "--health-path",
          "/hostname",
        ]),
      ),
    ).toMatch(/release 1 is live/);
    await refused(
      bob(["deploy", "web", "--env", "prod", "--image", "berth/busybox:latest"]),
      /^berth: deploying and changing config in prod of tenant 'acme' needs the maintainer role \(prod protected\); yours is developer$/,
    );
    await refused(
      bob(["config", "list", "web", "--env", "prod", "--show-secrets"]),
      /reading secrets in prod .* needs the maintainer role/,
    );
    expect(
      JSON.parse(await must(bob(["tenant", "list", "--json"]))).map((t: { name: string }) => t.name),
    ).toEqual(["acme"]);
    await refused(
      bob(["app", "list", "--tenant", "globex"]),
      /^berth: tenant 'globex' does not exist, or you are not a member of it$/,
    );
  }, 120_000);

  it("quotas refuse what would exceed them, naming the limit and the current use", async () => {
    await berth.ok(["quota", "set", "--tenant", "acme", "--replicas", "2", "--cpus", "1"]);
    await refused(
      bob(["quota", "set", "--tenant", "acme", "--replicas", "50"]),
      /needs the owner role; yours is developer/,
    );
    await refused(
      bob(["scale", "web", "--replicas", "5"]),
      /^berth: quota exceeded: tenant acme allows 2 replicas; 1 replica in use now, and this change would make it 5 replicas$/,
    );
    const shown = await must(bob(["quota", "show"]));
    expect(shown).toMatch(/tenant acme\s+0\.1 \/ 1\s+32Mi \/ -\s+1 \/ 2\s+1 \/ -/);
    expect(JSON.parse(await must(bob(["ps", "web", "--json"])))).toHaveLength(1);
  });

  it("a CI token works until it is revoked, and on its very next request it does not", async () => {
    const created = await bob([
      "token",
      "create",
      "--tenant",
      "acme",
      "--env",
      "dev",
      "--name",
      "ci",
      "--expires",
      "7d",
    ]);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stderr).toMatch(/Token (\d+) 'ci': acme\/dev as developer, expires/);
    const token = created.stdout.trim();
    const id = /Token (\d+)/.exec(created.stderr)?.[1] as string;
    const ci = (args: string[]) =>
      berth.cli(args, {
        login: false,
        env: { BERTH_URL: berth.url, BERTH_TOKEN: token, BERTH_TENANT: "acme" },
      });
    expect((await ci(["ps", "web", "--env", "dev"])).code).toBe(0);
    await refused(ci(["ps", "web", "--env", "prod"]), /outside this token's scope \(only environment dev\)/);
    const listed = await must(bob(["token", "list"]));
    expect(listed).toMatch(new RegExp(`^${id}\\s+ci\\s+bob\\s+api\\s+acme\\s+dev\\s+developer`, "m"));
    await must(bob(["token", "revoke", id]));
    await refused(ci(["ps", "web", "--env", "dev"]), /missing, expired or revoked API token/);
  });

  it("isolation: refused until an admin grants the exception, then it runs and the audit log shows both", async () => {
    await refused(
      bob(["resources", "set", "web", "--env", "dev", "--cap-add", "NET_ADMIN"]),
      /tenant 'acme' may not run web in dev with capability NET_ADMIN/,
    );
    await refused(bob(["policy", "grant", "capabilities", "NET_ADMIN", "--reason", "vpn"]), /platform admin/);
    await berth.ok([
      "policy",
      "grant",
      "capabilities",
      "NET_ADMIN",
      "--tenant",
      "acme",
      "--reason",
      "a VPN sidecar",
    ]);
    expect(await must(bob(["policy", "list"]))).toMatch(/capabilities\s+NET_ADMIN\s+a VPN sidecar\s+admin/);
    expect(await must(bob(["resources", "set", "web", "--env", "dev", "--cap-add", "NET_ADMIN"]))).toMatch(
      /release 2 of web in dev is live|live/,
    );
    const audit = JSON.parse(await must(alice(["audit", "--tenant", "acme", "--json"])));
    const grant = audit.find(
      (e: { action: string; result: number }) =>
        e.action === "PUT /tenants/{tenant}/exceptions/{kind}" && e.result === 200,
    );
    expect(grant).toMatchObject({
      actor: "admin",
      result: 200,
      detail: "granted capabilities (NET_ADMIN) to acme: a VPN sidecar",
    });
    const use = audit
      .filter((e: { actor: string; result: number }) => e.actor === "bob" && e.result === 200)
      .at(-1);
    expect(use.detail).toMatch(/relies on isolation exceptions: capabilities/);
    expect(audit.some((e: { actor: string; result: number }) => e.actor === "bob" && e.result === 403)).toBe(
      true,
    );
    await refused(bob(["audit", "--tenant", "acme"]), /needs the owner role; yours is developer/);
  }, 120_000);

  it("deleting a user ends their sessions at once", async () => {
    await berth.ok(["user", "delete", "bob"]);
    await refused(bob(["whoami"]), /missing, expired or revoked API token/);
    expect(
      JSON.parse(await must(alice(["member", "list", "--json", "--tenant", "acme"]))).map(
        (m: { user: string }) => m.user,
      ),
    ).toEqual(["alice"]);
  });

  it("every call of this journey that changed something names its object in the audit log", async () => {
    const audit = JSON.parse(await berth.ok(["audit", "--json", "--limit", "10000"])) as {
      action: string;
      result: number;
      object: { kind: string; name: string } | null;
    }[];
    const changed = audit.filter((e) => e.result < 300);
    expect(changed.length).toBeGreaterThan(15);
    expect(changed.filter((e) => e.object === null).map((e) => e.action)).toEqual([]);
    expect(new Set(changed.map((e) => e.object?.kind))).toEqual(
      new Set(["user", "tenant", "session", "member", "environment", "app", "quota", "token", "exception"]),
    );
  });
});
