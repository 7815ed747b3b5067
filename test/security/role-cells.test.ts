import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Role } from "../../src/domain/roles.js";
import type { BerthProcess } from "../support/berth-process.js";
import { ROLE_MATRIX } from "../support/role-matrix.js";
import { type ApiAnswer, api, ok, startServer, twoTenants } from "../support/tenancy-fixture.js";

/**
 * Every cell of the role matrix through the real API, with a real user of each role: one route
 * stands for each permission. "allow" means the call got past authorisation (whatever the
 * service then said); "forbidden" means a 403 that changed nothing.
 */
describe("security: the role matrix, cell by cell, through the API", () => {
  let berth: BerthProcess;
  let fx: Awaited<ReturnType<typeof twoTenants>>;
  let tarball: string;
  const USERS: Record<Role, string> = {
    owner: "acme-owner",
    maintainer: "acme-maint",
    developer: "acme-dev",
    viewer: "acme-viewer",
  };

  beforeAll(async () => {
    berth = await startServer();
    fx = await twoTenants(berth);
    await ok(berth, "POST", "/tenants/acme/envs", { name: "qa" });
    for (const role of Object.keys(USERS))
      await ok(berth, "POST", "/tenants/acme/apps", { name: `del-${role}` });
    const dir = mkdtempSync(join(tmpdir(), "berth-ctx-"));
    writeFileSync(join(dir, "Dockerfile"), "FROM berth/busybox:latest\n");
    tarball = join(dir, "ctx.tar");
    execFileSync("tar", ["-C", dir, "-cf", tarball, "Dockerfile"]);
  }, 300_000);
  afterAll(async () => {
    await berth?.destroy();
  });

  /** One route per row of the matrix, called as `role`. */
  const call = async (row: string, role: Role, token: string): Promise<ApiAnswer> => {
    const as = { token };
    const [permission, env] = row.split(" ");
    switch (permission) {
      case "tenant.read":
        return api(berth, "GET", "/tenants/acme/apps", as);
      case "env.read":
        return api(berth, "GET", `/tenants/acme/envs/${env}/apps/web/releases`, as);
      case "env.deploy":
        return api(berth, "PATCH", "/tenants/acme/settings", {
          ...as,
          body: { app: "web", ...(env === "*" ? {} : { env }), settings: { healthTimeout: 61 }, stage: true },
        });
      case "env.secrets":
        return api(berth, "GET", `/tenants/acme/config?app=web&env=${env}&showSecrets=true`, as);
      case "app.create":
        return api(berth, "POST", "/tenants/acme/apps", { ...as, body: { name: `new-${role}` } });
      case "build": {
        const res = await fetch(`${berth.url}/api/v1/tenants/acme/apps/web/builds`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/x-tar" },
          body: (await import("node:fs")).readFileSync(tarball),
        });
        const text = await res.text();
        return { status: res.status, body: res.status === 200 ? text : JSON.parse(text) };
      }
      case "app.delete":
        return api(berth, "DELETE", `/tenants/acme/apps/del-${role}`, as);
      case "tenant.manage":
        return api(berth, "PUT", "/tenants/acme/envs/qa/protection", {
          ...as,
          body: { minRole: "maintainer" },
        });
      case "platform.admin":
        return api(berth, "GET", "/users", as);
      default:
        throw new Error(`no route stands for ${row}`);
    }
  };

  const cells = Object.entries(ROLE_MATRIX).flatMap(([row, byRole]) =>
    (Object.keys(USERS) as Role[]).map((role) => ({ row, role, cell: byRole[role] })),
  );

  it.each(cells)("$role: $row → $cell", async ({ row, role, cell }) => {
    const r = await call(row, role, fx.tokens[USERS[role] as keyof typeof fx.tokens] as string);
    if (cell === "forbidden") {
      expect(r.status, JSON.stringify(r.body)).toBe(403);
      expect(r.body.error.code).toBe("forbidden");
    } else {
      expect([401, 403, 404], String(JSON.stringify(r.body)).slice(0, 300)).not.toContain(r.status);
      expect(r.status).toBeLessThan(300);
    }
  });

  it("tokens narrow a user's rights: one environment, or a weaker role, never more", async () => {
    const maint = fx.tokens["acme-maint"] as string;
    const devOnly = await ok(berth, "POST", "/tokens", { tenant: "acme", env: "dev", name: "ci-dev" }, maint);
    expect(devOnly.info).toMatchObject({ tenant: "acme", env: "dev", role: "maintainer" });
    expect((await call("env.deploy dev", "maintainer", devOnly.token)).status).toBe(200);
    const prod = await call("env.deploy prod", "maintainer", devOnly.token);
    expect(prod.status).toBe(403);
    expect(prod.body.error.message).toMatch(/outside this token's scope \(only environment dev\)/);
    expect((await call("env.read prod", "maintainer", devOnly.token)).status).toBe(403);
    expect((await call("app.create", "maintainer", devOnly.token)).status).toBe(403);
    expect((await api(berth, "GET", "/tenants/globex/apps", { token: devOnly.token })).status).toBe(404);

    const asViewer = await ok(
      berth,
      "POST",
      "/tokens",
      { tenant: "acme", role: "viewer" },
      fx.tokens["acme-owner"],
    );
    expect((await call("tenant.read", "owner", asViewer.token)).status).toBe(200);
    expect((await call("env.deploy dev", "owner", asViewer.token)).status).toBe(403);
    expect((await call("env.secrets dev", "owner", asViewer.token)).status).toBe(403);

    const more = await api(berth, "POST", "/tokens", {
      token: fx.tokens["acme-dev"],
      body: { tenant: "acme", role: "owner" },
    });
    expect(more.status).toBe(403);
    expect(more.body.error.message).toMatch(/you are developer in tenant 'acme'; a token cannot have more/);
    const wider = await api(berth, "POST", "/tokens", { token: devOnly.token, body: { tenant: "acme" } });
    expect(wider.status).toBe(403);
    const everything = await api(berth, "POST", "/tokens", { token: devOnly.token, body: {} });
    expect(everything.status).toBe(403);

    // A scoped token cannot make itself more than it is: no password (that gives a full
    // session), no sight of the user's wider tokens, no token that outlives it.
    const ownerToken = fx.tokens["acme-owner"] as string;
    const ownersDev = await ok(
      berth,
      "POST",
      "/tokens",
      { tenant: "acme", env: "dev", expiresInSeconds: 3600 },
      ownerToken,
    );
    const password = await api(berth, "PUT", "/users/acme-owner/password", {
      token: ownersDev.token,
      body: { password: "a brand new passphrase" },
    });
    expect(password.status).toBe(403);
    expect(password.body.error.message).toMatch(/passwords are changed with a session/);
    const seen = (await ok(berth, "GET", "/tokens", undefined, ownersDev.token)) as {
      id: number;
      tenant: string;
    }[];
    expect(seen.map((t) => t.id)).toEqual([ownersDev.info.id]);
    const session = (await ok(berth, "GET", "/whoami", undefined, ownerToken)).token.id as number;
    expect((await api(berth, "DELETE", `/tokens/${session}`, { token: ownersDev.token })).status).toBe(404);
    const forever = await api(berth, "POST", "/tokens", {
      token: ownersDev.token,
      body: { tenant: "acme", env: "dev", expiresInSeconds: null },
    });
    expect(forever.status).toBe(403);
    expect(forever.body.error.message).toMatch(/cannot live longer/);
    // An owner's dev-only token manages nothing tenant-wide, quotas of other environments included.
    const quota = await api(berth, "PUT", "/tenants/acme/quota", {
      token: ownersDev.token,
      body: { env: "prod", cpus: null },
    });
    expect(quota.status).toBe(403);
  });

  it("revocation and deletion take effect on the very next request", async () => {
    const owner = fx.tokens["acme-owner"] as string;
    const t = await ok(berth, "POST", "/tokens", { tenant: "acme", name: "short-lived" }, owner);
    expect((await api(berth, "GET", "/tenants/acme/apps", { token: t.token })).status).toBe(200);
    await ok(berth, "DELETE", `/tokens/${t.info.id}`, undefined, owner);
    const after = await api(berth, "GET", "/tenants/acme/apps", { token: t.token });
    expect(after.status).toBe(401);
    expect(after.body.error.message).toMatch(/missing, expired or revoked/);

    await ok(berth, "POST", "/users", { name: "temp-user", password: "a long enough passphrase" });
    await ok(berth, "PUT", "/tenants/acme/members", { user: "temp-user", role: "developer" });
    const session = await ok(
      berth,
      "POST",
      "/sessions",
      { user: "temp-user", password: "a long enough passphrase" },
      "",
    );
    expect((await api(berth, "GET", "/tenants/acme/apps", { token: session.token })).status).toBe(200);
    await ok(berth, "DELETE", "/tenants/acme/members/temp-user", undefined, owner);
    expect((await api(berth, "GET", "/tenants/acme/apps", { token: session.token })).status).toBe(404);
    await ok(berth, "DELETE", "/users/temp-user");
    expect((await api(berth, "GET", "/whoami", { token: session.token })).status).toBe(401);
  });

  it("owners cannot grant exceptions or set the tenant's own quota; a tenant keeps an owner", async () => {
    const owner = fx.tokens["acme-owner"] as string;
    const grant = await api(berth, "PUT", "/tenants/acme/exceptions/privileged", {
      token: owner,
      body: { reason: "please" },
    });
    expect(grant.status).toBe(403);
    expect(
      (await api(berth, "PUT", "/tenants/acme/quota", { token: owner, body: { cpus: 100 } })).status,
    ).toBe(403);
    expect(
      (await api(berth, "PUT", "/tenants/acme/quota", { token: owner, body: { env: "dev", cpus: 1 } }))
        .status,
    ).toBe(200);
    const last = await api(berth, "DELETE", "/tenants/acme/members/acme-owner", { token: owner });
    expect(last.status).toBe(409);
    expect(last.body.error.message).toMatch(/last owner/);
  });
});
