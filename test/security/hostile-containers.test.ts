import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BerthProcess } from "../support/berth-process.js";
import { freePort } from "../support/free-port.js";
import { getViaRouter } from "../support/http-via-router.js";
import {
  api,
  auditTail,
  deployHttpd,
  ok,
  signIn,
  snapshot,
  startServer,
} from "../support/tenancy-fixture.js";

/**
 * A tenant asks for what would break it out of its isolation: refused, and nothing changes. A
 * platform admin grants exceptions: allowed, Docker runs exactly that, and the audit log says who
 * granted what and which call relied on it.
 */
describe("security: hostile containers", () => {
  let berth: BerthProcess;
  let owner: string;
  const docker = new Docker();
  const shared = mkdtempSync(join(tmpdir(), "berth-shared-"));
  mkdirSync(join(shared, "media"));

  const settings = (token: string, app: string, s: object, stage = true) =>
    api(berth, "PATCH", "/tenants/acme/settings", { token, body: { app, env: "dev", settings: s, stage } });
  const containerOf = async (app: string) => {
    const label = [`berth.instance=${berth.instanceId()}`, "berth.tenant=acme", `berth.app=${app}`];
    const [c] = await docker.listContainers({ filters: { label } });
    if (!c) throw new Error(`${app} is not running`);
    return docker.getContainer(c.Id).inspect();
  };

  beforeAll(async () => {
    berth = await startServer();
    await ok(berth, "POST", "/users", { name: "owner", password: "a long enough passphrase" });
    await ok(berth, "POST", "/tenants", { name: "acme", owner: "owner" });
    await ok(berth, "POST", "/tenants/acme/envs", { name: "dev" });
    for (const app of ["web", "net", "priv"]) await ok(berth, "POST", "/tenants/acme/apps", { name: app });
    owner = await signIn(berth, "owner");
    await deployHttpd(berth, "acme", "dev", "web");
  }, 120_000);
  afterAll(async () => {
    await berth?.destroy();
  });

  const HOSTILE: [string, object, RegExp][] = [
    ["privileged mode", { privileged: true }, /privileged mode/],
    [
      "a host mount",
      { hostMounts: [{ hostPath: "/", path: "/host" }] },
      /host mount \/.*Docker socket|Docker socket.*host mount/,
    ],
    [
      "the Docker socket",
      { hostMounts: [{ hostPath: "/var/run/docker.sock", path: "/var/run/docker.sock" }] },
      /Docker socket/,
    ],
    ["the host network", { hostNetwork: true }, /the host network/],
    ["the host PID namespace", { hostPid: true }, /host PID namespace/],
    ["an added capability", { capAdd: ["SYS_ADMIN"] }, /capability SYS_ADMIN/],
    ["a device", { devices: ["/dev/fuse"] }, /device \/dev\/fuse/],
  ];

  it.each(HOSTILE)("refuses %s for a tenant with a 403, and changes nothing", async (_what, s, message) => {
    const before = await snapshot(berth);
    for (const stage of [true, false]) {
      const r = await settings(owner, "web", s, stage);
      expect(r.status).toBe(403);
      expect(r.body.error.code).toBe("forbidden");
      expect(r.body.error.message).toMatch(message);
      expect(r.body.error.message).toMatch(/berth policy grant/);
    }
    const viaManifest = await api(berth, "POST", "/apply", {
      token: owner,
      body: {
        manifest: {
          apiVersion: "berth/v1",
          tenant: "acme",
          apps: { web: { envs: { dev: { resources: s } } } },
        },
      },
    });
    expect(viaManifest.status).toBe(403);
    expect(await snapshot(berth)).toEqual(before);
  });

  it("lets only a platform admin grant an exception", async () => {
    const r = await api(berth, "PUT", "/tenants/acme/exceptions/host-mounts", {
      token: owner,
      body: { values: [shared], reason: "media" },
    });
    expect(r.status).toBe(403);
    expect((await api(berth, "GET", "/tenants/acme/exceptions", { token: owner })).body).toEqual([]);
  });

  it("with an admin's exceptions runs exactly what was granted, and the audit log says so", async () => {
    const grant = (kind: string, values: string[], reason: string) =>
      ok(berth, "PUT", `/tenants/acme/exceptions/${kind}`, { values, reason });
    await grant("host-mounts", [shared], "shared media for the CMS");
    await grant("docker-socket", [], "a CI runner that builds images");
    await grant("capabilities", ["NET_ADMIN"], "a VPN sidecar");
    await grant("devices", ["/dev/fuse"], "sshfs");
    await grant("host-pid", [], "a profiler");
    // What was not granted stays refused: another capability, a path outside the prefix.
    expect((await settings(owner, "web", { capAdd: ["SYS_ADMIN"] })).status).toBe(403);
    expect((await settings(owner, "web", { hostMounts: [{ hostPath: "/etc", path: "/h" }] })).status).toBe(
      403,
    );

    const r = await settings(
      owner,
      "web",
      {
        hostMounts: [
          { hostPath: join(shared, "media"), path: "/media", readOnly: true },
          // Canonical: /var/run is a symlink to /run on Debian, and symlinks are refused.
          { hostPath: "/run/docker.sock", path: "/var/run/docker.sock" },
        ],
        capAdd: ["NET_ADMIN"],
        devices: ["/dev/fuse"],
        hostPid: true,
      },
      false,
    );
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    await waitServing("web", r.body.releases[0].release);
    const info = await containerOf("web");
    expect(info.HostConfig.CapAdd).toEqual(["NET_ADMIN"]);
    expect(info.HostConfig.PidMode).toBe("host");
    expect(info.HostConfig.Devices?.map((d: { PathOnHost: string }) => d.PathOnHost)).toEqual(["/dev/fuse"]);
    expect(info.HostConfig.Privileged).toBe(false);
    const binds = info.Mounts.filter((m) => m.Type === "bind").map((m) => [m.Source, m.Destination, m.RW]);
    expect(binds).toEqual(
      expect.arrayContaining([
        [join(shared, "media"), "/media", false],
        ["/run/docker.sock", "/var/run/docker.sock", true],
      ]),
    );

    const audit = await auditTail(berth, 40);
    const grants = audit.filter(
      (e) => e.action === "PUT /tenants/{tenant}/exceptions/{kind}" && e.result === 200,
    );
    expect(grants.map((e) => e.detail)).toEqual([
      `granted host-mounts (${shared}) to acme: shared media for the CMS`,
      "granted docker-socket to acme: a CI runner that builds images",
      "granted capabilities (NET_ADMIN) to acme: a VPN sidecar",
      "granted devices (/dev/fuse) to acme: sshfs",
      "granted host-pid to acme: a profiler",
    ]);
    expect(grants.every((e) => e.actor === "admin")).toBe(true);
    const use = audit
      .filter((e) => e.action === "PATCH /tenants/{tenant}/settings" && e.result === 200)
      .at(-1);
    expect(use?.actor).toBe("owner");
    expect(use?.detail).toMatch(
      /release \d+ of web in dev relies on isolation exceptions: capabilities, devices, docker-socket, host-mounts, host-pid/,
    );
    // Refusals are audited too, with no detail: they relied on nothing.
    expect(
      audit.some(
        (e) => e.action === "PATCH /tenants/{tenant}/settings" && e.result === 403 && e.detail === null,
      ),
    ).toBe(true);
  });

  it("runs an app on the host network with that exception, routed on loopback", async () => {
    expect((await settings(owner, "net", { hostNetwork: true })).status).toBe(403);
    await ok(berth, "PUT", "/tenants/acme/exceptions/host-network", { values: [], reason: "a legacy agent" });
    const port = await freePort();
    await ok(berth, "PATCH", "/tenants/acme/settings", {
      app: "net",
      env: "dev",
      settings: { hostNetwork: true, command: ["httpd", "-f", "-p", `127.0.0.1:${port}`, "-h", "/etc"] },
      stage: true,
    });
    const d = await api(berth, "POST", "/tenants/acme/envs/dev/apps/net/deploy", {
      token: owner,
      body: { image: "berth/busybox:latest", port, healthPath: "/hostname" },
    });
    expect(d.status).toBe(202);
    await waitServing("net", d.body.release);
    expect((await containerOf("net")).HostConfig.NetworkMode).toBe("host");
    const res = await getViaRouter(berth.routerPort, "net.dev.acme.localhost", "/hostname");
    expect(res.status).toBe(200);
  });

  it("records privileged mode as granted; revoking an exception stops the next release and names what still runs", async () => {
    await ok(berth, "PUT", "/tenants/acme/exceptions/privileged", { values: [], reason: "docker-in-docker" });
    const r = await settings(owner, "priv", { privileged: true });
    expect(r.status).toBe(200);
    // This sandbox lacks CAP_SYS_RESOURCE, so a privileged container cannot start here (see
    // test/integration/docker-engine.test.ts); the release that asks for it is made and audited.
    const d = await api(berth, "POST", "/tenants/acme/envs/dev/apps/priv/deploy", {
      token: owner,
      body: { image: "berth/busybox:latest", port: 8080, healthTimeout: 1 },
    });
    expect(d.status).toBe(202);
    const releases = await ok(berth, "GET", "/tenants/acme/envs/dev/apps/priv/releases");
    expect(releases[0].resources.privileged).toBe(true);
    expect(
      (await auditTail(berth, 3)).some((e) =>
        /priv in dev relies on isolation exceptions: privileged/.test(e.detail ?? ""),
      ),
    ).toBe(true);

    const revoked = await ok(berth, "DELETE", "/tenants/acme/exceptions/capabilities");
    expect(revoked.stillRunning).toEqual([expect.stringMatching(/^web\/dev \(release \d+\)$/)]);
    const redeploy = await api(berth, "POST", "/tenants/acme/envs/dev/apps/web/redeploy", { token: owner });
    expect(redeploy.status).toBe(403);
    expect(redeploy.body.error.message).toMatch(/capability NET_ADMIN/);
    // Nor can the release that relies on it be run again another way: more replicas, or as a canary.
    const elevated = (await ok(berth, "GET", "/tenants/acme/envs/dev/apps/web/deployment")).release as number;
    const more = await api(berth, "POST", "/tenants/acme/envs/dev/apps/web/scale", {
      token: owner,
      body: { replicas: 2 },
    });
    expect(more.status).toBe(403);
    expect(
      (
        await api(berth, "POST", "/tenants/acme/envs/dev/apps/web/scale", {
          token: owner,
          body: { replicas: 1 },
        })
      ).status,
    ).toBe(202);
    const back = await api(berth, "POST", "/tenants/acme/envs/dev/apps/web/rollback", {
      token: owner,
      body: { to: 1 },
    });
    expect(back.status, JSON.stringify(back.body)).toBe(202);
    await waitServing("web", back.body.release);
    const canary = await api(berth, "POST", "/tenants/acme/envs/dev/apps/web/canary", {
      token: owner,
      body: { release: elevated, rules: { weight: 10 } },
    });
    expect(canary.status).toBe(403);
    expect(canary.body.error.message).toMatch(/release \d+ of web in dev with capability NET_ADMIN/);
  });

  async function waitServing(app: string, release: number): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const d = await ok(berth, "GET", `/tenants/acme/envs/dev/apps/${app}/deployment`);
      if (d.servingRelease === release && d.phase === "serving") return;
      if (d.phase === "failed") throw new Error(`${app}: ${d.message}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${app} release ${release} did not serve within 60 s`);
  }
});
