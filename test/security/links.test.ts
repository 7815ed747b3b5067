import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BerthProcess } from "../support/berth-process.js";
import { api, ok, startServer, twoTenants } from "../support/tenancy-fixture.js";

/**
 * "Unless explicitly linked", proved from inside real containers of a real server: tenants and
 * environments stay apart, a link opens exactly one way through (by name, on running
 * containers, without a redeploy), and cutting it closes it again.
 */
describe("security: network isolation and explicit links", () => {
  let berth: BerthProcess;
  let fx: Awaited<ReturnType<typeof twoTenants>>;
  const docker = new Docker();

  const container = async (tenant: string, env: string, app: string) => {
    const label = [
      `berth.instance=${berth.instanceId()}`,
      `berth.tenant=${tenant}`,
      `berth.env=${env}`,
      `berth.app=${app}`,
    ];
    const [c] = await docker.listContainers({ filters: { label } });
    if (!c) throw new Error(`${tenant}/${env}/${app} is not running`);
    return c;
  };
  /** Exit code of a 3 s HTTP GET from inside one container; 0 means it connected and got an answer. */
  const reach = async (from: [string, string, string], target: string): Promise<number> => {
    const c = await container(...from);
    const exec = await docker.getContainer(c.Id).exec({
      Cmd: ["timeout", "3", "wget", "-qO", "/dev/null", `http://${target}:8080/hostname`],
      AttachStdout: true,
      AttachStderr: true,
    });
    const stream = await exec.start({});
    await new Promise((r) => {
      stream.on("end", r);
      stream.resume();
    });
    return (await exec.inspect()).ExitCode ?? -1;
  };
  const envAddress = async (tenant: string, env: string, app: string) => {
    const c = await container(tenant, env, app);
    const net = Object.entries(c.NetworkSettings.Networks).find(([n]) => n.endsWith(`.${tenant}.${env}`));
    return net?.[1].IPAddress as string;
  };
  /** The reconciler attaches links to running containers; give it a moment. */
  const eventually = async (check: () => Promise<boolean>) => {
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (await check()) return true;
      await new Promise((r) => setTimeout(r, 200));
    }
    return false;
  };

  beforeAll(async () => {
    berth = await startServer();
    fx = await twoTenants(berth);
  }, 300_000);
  afterAll(async () => {
    await berth?.destroy();
  });

  it("keeps tenant from tenant, and dev from prod where no link says otherwise", async () => {
    const globexApi = await envAddress("globex", "prod", "api");
    const acmeDev = await envAddress("acme", "dev", "web");
    expect(await reach(["acme", "dev", "web"], globexApi)).not.toBe(0);
    expect(await reach(["globex", "prod", "api"], acmeDev)).not.toBe(0);
    // The fixture links acme dev → prod, but the prod container's own environment address stays closed.
    expect(await reach(["acme", "dev", "web"], await envAddress("acme", "prod", "web"))).not.toBe(0);
  });

  it("a link lets dev reach prod by name, at once, and cutting it closes the way again", async () => {
    expect(await eventually(async () => (await reach(["acme", "dev", "web"], "web.prod.acme")) === 0)).toBe(
      true,
    );
    // Linked containers share only the link network: globex still cannot get in.
    expect(await reach(["globex", "prod", "api"], "web.prod.acme")).not.toBe(0);
    await ok(
      berth,
      "DELETE",
      `/tenants/acme/envs/dev/apps/web/links/${fx.ids.link}`,
      undefined,
      fx.tokens["acme-owner"],
    );
    expect(await eventually(async () => (await reach(["acme", "dev", "web"], "web.prod.acme")) !== 0)).toBe(
      true,
    );
  });

  it("a link across tenants needs deploy rights in both: no single tenant's owner can make one", async () => {
    const body = { tenant: "globex", env: "prod", app: "api" };
    const fromAcme = await api(berth, "POST", "/tenants/acme/envs/dev/apps/web/links", {
      token: fx.tokens["acme-owner"],
      body,
    });
    expect(fromAcme.status).toBe(404);
    expect(fromAcme.body.error.message).toMatch(/tenant 'globex' does not exist, or you are not a member/);
    const fromGlobex = await api(berth, "POST", "/tenants/acme/envs/dev/apps/web/links", {
      token: fx.tokens["globex-owner"],
      body,
    });
    expect(fromGlobex.status).toBe(404);
    expect(await reach(["acme", "dev", "web"], "api.prod.globex")).not.toBe(0);

    const link = await ok(berth, "POST", "/tenants/acme/envs/dev/apps/web/links", body);
    expect(link.alias).toBe("api.prod.globex");
    expect(await eventually(async () => (await reach(["acme", "dev", "web"], "api.prod.globex")) === 0)).toBe(
      true,
    );
    const listed = await ok(
      berth,
      "GET",
      "/tenants/globex/envs/prod/apps/api/links",
      undefined,
      fx.tokens["globex-owner"],
    );
    expect(listed.map((l: { id: number }) => l.id)).toEqual([link.id]);
    // Either end may cut it.
    await ok(
      berth,
      "DELETE",
      `/tenants/globex/envs/prod/apps/api/links/${link.id}`,
      undefined,
      fx.tokens["globex-owner"],
    );
    expect(await eventually(async () => (await reach(["acme", "dev", "web"], "api.prod.globex")) !== 0)).toBe(
      true,
    );
  });

  it("refuses links that mean nothing or repeat one", async () => {
    const same = await api(berth, "POST", "/tenants/acme/envs/dev/apps/web/links", {
      body: { env: "dev", app: "web" },
    });
    expect(same.status).toBe(400);
    expect(same.body.error.message).toMatch(/reach each other already/);
    await ok(berth, "POST", "/tenants/acme/envs/dev/apps/web/links", { env: "prod", app: "web" });
    const again = await api(berth, "POST", "/tenants/acme/envs/dev/apps/web/links", {
      body: { env: "prod", app: "web" },
    });
    expect(again.status).toBe(409);
  });
});
