import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BerthProcess } from "../support/berth-process.js";
import { api, startServer, twoTenants } from "../support/tenancy-fixture.js";

/**
 * One team can neither run nor build on another team's image: another tenant's build answers as
 * if it were not on the host, by tag or by ID, and a Dockerfile FROM it is refused and its result
 * removed.
 */
describe("security: images stay with their tenant", () => {
  let berth: BerthProcess;
  let fx: Awaited<ReturnType<typeof twoTenants>>;
  const dirs: string[] = [];

  /** Streams a one-Dockerfile context to the build route; returns the final NDJSON line. */
  const build = async (tenant: string, app: string, dockerfile: string, token: string) => {
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
    return lines.at(-1) as { type: string; image?: string; imageId?: string; message?: string };
  };

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

    const mine = await build("acme", "web", `FROM ${theirs.image}\nRUN true\n`, acme);
    expect(mine).toMatchObject({ type: "error" });
    expect(mine.message).toMatch(/its base image is not available to tenant 'acme'/);
    const docker = new Docker();
    const acmeImages = await docker.listImages({ filters: { label: ["berth.tenant=acme"] } });
    expect(acmeImages).toEqual([]);
    // Their own builds and base images stay usable.
    expect((await build("acme", "web", "FROM berth/busybox:latest\nRUN true\n", acme)).type).toBe("result");
  }, 120_000);
});
