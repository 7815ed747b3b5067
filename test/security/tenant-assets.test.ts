import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BerthProcess } from "../support/berth-process.js";
import { api, snapshot, startServer, twoTenants } from "../support/tenancy-fixture.js";

/**
 * What a tenant makes stays its own. Another tenant's image answers as if it were not on the
 * host (by tag, by ID, by an ID prefix), and no Dockerfile can build on it or copy from it: the
 * Dockerfile is checked before a single step runs. A host name, its paths and its certificate
 * belong to the tenant that routed it first, and the platform's APP.ENV.TENANT hosts to theirs.
 */
describe("security: images and hosts stay with their tenant", () => {
  let berth: BerthProcess;
  let fx: Awaited<ReturnType<typeof twoTenants>>;
  const dirs: string[] = [];

  /** Streams a one-Dockerfile context to the build route; returns every log line and the final NDJSON line. */
  const buildLog = async (tenant: string, app: string, dockerfile: string, token: string) => {
    const dir = mkdtempSync(join(tmpdir(), "berth-ctx-"));
    dirs.push(dir);
    writeFileSync(join(dir, "Dockerfile"), dockerfile);
    writeFileSync(join(dir, "secret.txt"), "globex's source code\n");
    execFileSync("tar", ["-C", dir, "-cf", join(dir, "ctx.tar"), "Dockerfile", "secret.txt"]);
    const res = await fetch(`${berth.url}/api/v1/tenants/${tenant}/apps/${app}/builds`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/x-tar" },
      body: readFileSync(join(dir, "ctx.tar")),
    });
    const lines = (await res.text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    return {
      last: lines.at(-1) as { type: string; image?: string; imageId?: string; message?: string },
      log: lines.map((l: { line?: string }) => l.line ?? "").join("\n"),
    };
  };
  const build = async (tenant: string, app: string, dockerfile: string, token: string) =>
    (await buildLog(tenant, app, dockerfile, token)).last;

  beforeAll(async () => {
    berth = await startServer();
    fx = await twoTenants(berth);
  }, 300_000);
  afterAll(async () => {
    await berth?.destroy();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("answers another tenant's image like a missing one, by tag and by ID, and refuses to build on it", async () => {
    const theirs = await build(
      "globex",
      "api",
      "FROM berth/busybox:latest\nCOPY secret.txt /secret.txt\n",
      fx.tokens["globex-owner"] as string,
    );
    expect(theirs.type).toBe("result");
    const acme = fx.tokens["acme-owner"] as string;
    for (const ref of [theirs.image as string, theirs.imageId as string]) {
      const r = await api(berth, "POST", "/tenants/acme/envs/dev/apps/web/deploy", {
        token: acme,
        body: { image: ref },
      });
      const missing = await api(berth, "POST", "/tenants/acme/envs/dev/apps/web/deploy", {
        token: acme,
        body: { image: "berth/nosuch/app:build-1" },
      });
      expect(r.status).toBe(400);
      expect(r.body.error.message.replace(ref, "X")).toBe(
        missing.body.error.message.replace("berth/nosuch/app:build-1", "X"),
      );
    }
    const canary = await api(berth, "POST", "/tenants/acme/envs/dev/apps/web/canary", {
      token: acme,
      body: { image: theirs.image, rules: { weight: 10 } },
    });
    expect(canary.status).toBe(400);

    // An ID prefix would match whatever image's ID starts so: only full IDs and tags name images.
    const prefix = (theirs.imageId as string).slice("sha256:".length, "sha256:".length + 12);
    const byPrefix = await api(berth, "POST", "/tenants/acme/envs/dev/apps/web/deploy", {
      token: acme,
      body: { image: prefix },
    });
    expect(byPrefix.status).toBe(400);

    for (const dockerfile of [
      `FROM ${theirs.image}\nRUN cat /secret.txt\n`,
      `ARG BASE=${theirs.image}\nFROM $BASE\nRUN cat /secret.txt\n`,
      `FROM ${theirs.image} AS loot\nFROM berth/busybox:latest\nCOPY --from=loot /secret.txt /s\n`,
      `FROM berth/busybox:latest\nCOPY --from=${theirs.image} /secret.txt /s\n`,
      `FROM ${prefix}\nRUN cat /secret.txt\n`,
    ]) {
      const { last, log } = await buildLog("acme", "web", dockerfile, acme);
      expect(last, dockerfile).toMatchObject({ type: "error" });
      expect(last.message).toMatch(/build failed: image '.+' is not on this host/);
      // Refused before a step ran: nothing of theirs came back in the log.
      expect(log).not.toContain("globex's source code");
      expect(log).not.toContain("Step 1");
    }
    const missing = await buildLog("acme", "web", "FROM berth/nosuch:1\n", acme);
    expect(missing.last.message?.replace("berth/nosuch:1", "X")).toBe(
      (await buildLog("acme", "web", `FROM ${theirs.image}\n`, acme)).last.message?.replace(
        theirs.image as string,
        "X",
      ),
    );
    const docker = new Docker();
    // This server's images only: other Berth servers on this dockerd may have a tenant acme too.
    const acmeImages = await docker.listImages({
      filters: { label: ["berth.tenant=acme", `berth.instance=${berth.instanceId()}`] },
    });
    expect(acmeImages).toEqual([]);
    // Their own builds and base images stay usable.
    expect((await build("acme", "web", "FROM berth/busybox:latest\nRUN true\n", acme)).type).toBe("result");
  }, 120_000);

  it("keeps a host, its paths and its certificate with the tenant that routed it first", async () => {
    const other = fx.tokens["globex-owner"] as string;
    const before = await snapshot(berth);
    const route = (body: object) =>
      api(berth, "POST", "/tenants/globex/envs/prod/apps/api/routes", { token: other, body });
    for (const body of [
      { host: "web.example.test", path: "/login" },
      { host: "web.example.test", tls: "internal" },
      { host: "web.dev.acme.localhost", path: "/x" },
      { host: "db.prod.acme.localhost" },
      { host: "anything.acme.localhost" },
    ]) {
      const r = await route(body);
      expect(r.status, JSON.stringify(body)).toBe(409);
      // Whose the host is, is never said.
      expect(r.body.error.message).not.toMatch(/acme'|web in dev|another tenant/);
    }
    expect(await snapshot(berth)).toEqual(before);
    expect((await route({ host: "api.prod.globex.localhost", path: "/v2" })).status).toBe(201);
    expect((await route({ host: "status.globex.localhost" })).status).toBe(201);
    expect((await route({ host: "www.globex.test" })).status).toBe(201);
  });
});
