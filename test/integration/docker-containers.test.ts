import { mkdtempSync, rmSync, statSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import Docker from "dockerode";
import tar from "tar-stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DomainError } from "../../src/domain/domain-error.js";
import type { WorkloadIdentity } from "../../src/domain/labels.js";
import type { Container, ContainerSpec } from "../../src/engines/docker/container-spec.js";
import { DockerContainers } from "../../src/engines/docker/docker-containers.js";
import type { EngineEvent } from "../../src/engines/engine.js";

const docker = new Docker();
const engine = new DockerContainers(docker);

// Unique per run, so concurrent or aborted runs never see each other's objects.
const tenant = `t${Date.now().toString(36)}`;
const network = `berth-${tenant}-prod`;
const identity: WorkloadIdentity = { tenant, env: "prod", app: "web" };
const tag = `berth-test/${tenant}-web:1`;
const INDEX = `hello from ${tenant}`;

function context(dockerfile: string, files: Record<string, string> = {}): Readable {
  const pack = tar.pack();
  pack.entry({ name: "Dockerfile" }, dockerfile);
  for (const [name, content] of Object.entries(files)) pack.entry({ name }, content);
  pack.finalize();
  // tar-stream 3 packs are streamx streams, not typed (or fully behaving) as Node Readables.
  return Readable.from(pack, { objectMode: false });
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

async function fetchWithRetry(url: string, deadlineMs: number): Promise<Response> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    try {
      const response = await fetch(url);
      if (response.status === 200) return response;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline) throw new Error(`no 200 from ${url}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Collects text until `until` shows up (a followed stream never ends by itself) or the stream ends. */
async function readText(stream: Readable, until?: string): Promise<string> {
  let text = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stream.destroy();
      reject(new Error(`timed out reading logs; got ${JSON.stringify(text)}`));
    }, 5000);
    const done = () => {
      clearTimeout(timer);
      stream.destroy();
      resolve(text);
    };
    stream.on("data", (chunk: string | Buffer) => {
      text += chunk.toString();
      if (until !== undefined && text.includes(until)) done();
    });
    stream.once("end", done);
    stream.once("error", reject);
  });
}

describe("DockerEngine against the local dockerd", () => {
  const buildLog: string[] = [];
  let imageId = "";
  let workload: Container;
  let spec: ContainerSpec;

  beforeAll(async () => {
    await engine.ping();
  });

  afterAll(async () => {
    const leftovers = await docker.listContainers({
      all: true,
      filters: { label: [`berth.tenant=${tenant}`] },
    });
    await Promise.all(
      leftovers.map((c) =>
        docker
          .getContainer(c.Id)
          .remove({ force: true })
          .catch(() => {}),
      ),
    );
    await docker
      .getNetwork(network)
      .remove()
      .catch(() => {});
    await docker
      .getImage(tag)
      .remove({ force: true })
      .catch(() => {});
  });

  it("ensureNetwork is idempotent and listNetworks reports it", async () => {
    await engine.ensureNetwork(network, { "berth.tenant": tenant });
    await engine.ensureNetwork(network, { "berth.tenant": tenant });
    const matching = await docker.listNetworks({ filters: { name: [network] } });
    expect(matching.filter((n) => n.Name === network)).toHaveLength(1);
    expect(matching[0]?.Labels).toMatchObject({ "berth.managed": "true", "berth.tenant": tenant });
    expect(await engine.listNetworks()).toContain(network);
  });

  it("ensureNetwork called concurrently makes one network (dockerd's own duplicate check races)", async () => {
    const racing = `${network}-race`;
    await Promise.all(
      Array.from({ length: 6 }, () => engine.ensureNetwork(racing, { "berth.tenant": tenant })),
    );
    const matching = (await docker.listNetworks({ filters: { name: [racing] } })).filter((n) =>
      n.Name.endsWith(racing),
    );
    expect(matching).toHaveLength(1);
    await engine.removeNetwork(racing);
  });

  it("inspectImage finds the base image and answers null for an unknown one", async () => {
    const base = await engine.inspectImage("berth/busybox:latest");
    expect(base?.id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await engine.inspectImage("nope/does-not-exist:1")).toBeNull();
  });

  it("builds an image from a tar stream, streaming the log", async () => {
    const dockerfile = [
      "FROM berth/busybox:latest",
      "COPY index.html /www/index.html",
      "EXPOSE 8080",
      'CMD ["sh", "-c", "echo booted; exec httpd -f -p 8080 -h /www"]',
    ].join("\n");
    const image = await engine.build(
      context(dockerfile, { "index.html": INDEX }),
      { tag, labels: { "berth.managed": "true", "berth.tenant": tenant } },
      (line) => buildLog.push(line),
    );
    expect(image.id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(image.exposedPorts).toEqual([8080]);
    expect(buildLog.length).toBeGreaterThan(0);
    expect(buildLog.some((line) => line.includes("FROM berth/busybox:latest"))).toBe(true);
    expect(buildLog.every((line) => line.trim() !== "" && !line.endsWith("\n"))).toBe(true);
    const inspected = await docker.getImage(tag).inspect();
    expect(inspected.Id).toBe(image.id);
    expect(inspected.Config.Labels).toMatchObject({ "berth.tenant": tenant });
    imageId = image.id;
  });

  it("reports a failing build as DomainError failed", async () => {
    const lines: string[] = [];
    const error = await rejection(
      engine.build(
        context("FROM berth/busybox:latest\nRUN false\n"),
        { tag: `berth-test/${tenant}-broken:1`, labels: {} },
        (line) => lines.push(line),
      ),
    );
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe("failed");
    expect((error as DomainError).message).toMatch(/^build failed: .*non-zero code/);
    expect(lines.some((line) => line.includes("RUN false"))).toBe(true);
  });

  it("starts a workload reachable on a loopback ephemeral port", async () => {
    spec = { identity, release: 1, slot: 0, image: imageId, port: 8080, network, env: { GREETING: "hi" } };
    workload = await engine.start(spec);
    expect(workload.name).toBe(`berth.${tenant}.prod.web.r1.0`);
    expect(workload.state).toBe("running");
    expect(workload.hostPort).toEqual(expect.any(Number));
    expect(workload.hostPort).toBeGreaterThan(0);

    const info = await docker.getContainer(workload.id).inspect();
    expect(info.HostConfig.RestartPolicy?.Name).toBe("unless-stopped");
    expect(info.HostConfig.NetworkMode).toBe(network);
    expect(info.HostConfig.PortBindings?.["8080/tcp"]).toEqual([{ HostIp: "127.0.0.1", HostPort: "" }]);
    expect(info.HostConfig.LogConfig).toEqual({
      Type: "json-file",
      Config: { "max-size": "10m", "max-file": "3" },
    });
    expect(info.Config.Env).toContain("GREETING=hi");

    const response = await fetchWithRetry(`http://127.0.0.1:${workload.hostPort}/`, 3000);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain(INDEX);
  });

  it("refuses a second start of the same release and slot with conflict", async () => {
    const error = await rejection(engine.start(spec));
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe("conflict");
  });

  it("leaves no container behind when start fails after create", async () => {
    const bad = { ...spec, slot: 7, network: `berth-${tenant}-missing` };
    await expect(engine.start(bad)).rejects.toThrow();
    const leftovers = await docker.listContainers({
      all: true,
      filters: { label: [`berth.tenant=${tenant}`, "berth.slot=7"] },
    });
    expect(leftovers).toEqual([]);
  });

  it("lists the workload by selector with its identity, release, slot and port", async () => {
    const listed = await engine.list({ tenant, env: "prod", app: "web" });
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({
      id: workload.id,
      name: workload.name,
      identity,
      release: 1,
      slot: 0,
      state: "running",
      hostPort: workload.hostPort,
    });
    expect(Date.parse(listed[0]?.createdAt ?? "")).toBeGreaterThan(Date.now() - 5 * 60_000);
    expect(await engine.list({ tenant, app: "other" })).toEqual([]);
  });

  it("returns demultiplexed logs, with and without follow", async () => {
    const once = await readText(await engine.logs(workload.id, { follow: false, tail: 100 }));
    expect(once).toBe("booted\n");
    const followed = await readText(await engine.logs(workload.id, { follow: true, tail: 100 }), "booted");
    expect(followed).toBe("booted\n");
  });

  it("refuses to remove a network that still has containers", async () => {
    const error = await rejection(engine.removeNetwork(network));
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe("conflict");
    expect((error as DomainError).message).toBe(`network ${network} still has containers`);
    expect(await engine.listNetworks()).toContain(network);
  });

  it("refuses to remove a container Berth does not manage", async () => {
    const foreign = await docker.createContainer({ Image: "berth/busybox:latest", Cmd: ["sleep", "30"] });
    try {
      const error = await rejection(engine.remove(foreign.id, 1));
      expect(error).toBeInstanceOf(DomainError);
      expect((error as DomainError).code).toBe("conflict");
      expect((await foreign.inspect()).Id).toBe(foreign.id);
    } finally {
      await foreign.remove({ force: true });
    }
  });

  it("treats removing an unknown container as a no-op", async () => {
    await expect(engine.remove("0123456789abcdef0123456789abcdef", 1)).resolves.toBeUndefined();
  });

  it("removes a workload and reports it through watch", async () => {
    const events: EngineEvent[] = [];
    const errors: Error[] = [];
    const watcher = engine.watch(
      (event) => events.push(event),
      (error) => errors.push(error),
    );
    try {
      // The events request is in flight once dockerd has answered something after it.
      await new Promise((resolve) => setTimeout(resolve, 500));
      await engine.remove(workload.id, 1);
      const deadline = Date.now() + 5000;
      while (
        !events.some((e) => e.action === "destroy" && e.identity.tenant === tenant) &&
        Date.now() < deadline
      ) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const ours = events.filter((e) => e.identity.tenant === tenant);
      expect(ours.map((e) => e.action)).toContain("destroy");
      expect(ours.map((e) => e.action)).toContain("die");
      expect(ours.every((e) => e.identity.env === "prod" && e.identity.app === "web")).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      watcher.close();
    }
    expect(await engine.list({ tenant })).toEqual([]);
    await expect(engine.remove(workload.id, 1)).resolves.toBeUndefined();
  });

  it("removes the network once empty, and is a no-op afterwards", async () => {
    await engine.removeNetwork(network);
    expect(await engine.listNetworks()).not.toContain(network);
    await expect(engine.removeNetwork(network)).resolves.toBeUndefined();
  });
});

describe("DockerEngine scoped to a server instance", () => {
  const scopedTenant = `s${Date.now().toString(36)}`;
  const mine = new DockerContainers(docker, { instance: `i${scopedTenant}` });
  const theirs = new DockerContainers(docker, { instance: `j${scopedTenant}` });
  const id: WorkloadIdentity = { tenant: scopedTenant, env: "dev", app: "web" };
  const net = `berth.${scopedTenant}.dev`;

  afterAll(async () => {
    for (const c of await docker.listContainers({
      all: true,
      filters: { label: [`berth.tenant=${scopedTenant}`] },
    }))
      await docker.getContainer(c.Id).remove({ force: true });
    await mine.removeNetwork(net).catch(() => undefined);
    await theirs.removeNetwork(net).catch(() => undefined);
  });

  it("prefixes names, labels objects, and never sees another instance's", async () => {
    const image = await mine.inspectImage("berth/busybox:latest");
    await mine.ensureNetwork(net, {});
    await theirs.ensureNetwork(net, {});
    const w = await mine.start({
      identity: id,
      release: 1,
      slot: 0,
      image: image?.id as string,
      port: 8080,
      network: net,
    });
    expect(w.name).toBe(`berth-i${scopedTenant}.${scopedTenant}.dev.web.r1.0`);
    const info = await docker.getContainer(w.id).inspect();
    expect(info.Config.Labels["berth.instance"]).toBe(`i${scopedTenant}`);
    expect(Object.keys(info.NetworkSettings.Networks)).toEqual([
      `berth-i${scopedTenant}.${scopedTenant}.dev`,
    ]);

    // Same tenant, env, app, release and slot in another instance: no name clash, no cross-talk.
    const other = await theirs.start({
      identity: id,
      release: 1,
      slot: 0,
      image: image?.id as string,
      port: 8080,
      network: net,
    });
    expect(other.name).toBe(`berth-j${scopedTenant}.${scopedTenant}.dev.web.r1.0`);
    expect((await mine.list(id)).map((x) => x.id)).toEqual([w.id]);
    expect((await theirs.list(id)).map((x) => x.id)).toEqual([other.id]);
    expect(await mine.listNetworks()).toContain(net);
    expect(await theirs.listNetworks()).toContain(net);
  });
});

describe("DockerEngine: what a release runs with", () => {
  const t = `r${Date.now().toString(36)}`;
  const filesDir = mkdtempSync(join(tmpdir(), "berth-files-"));
  const withFiles = new DockerContainers(docker, { instance: `f${t}`, filesDir });
  const net = `berth.${t}.dev`;
  const id: WorkloadIdentity = { tenant: t, env: "dev", app: "cache" };

  afterAll(async () => {
    for (const c of await docker.listContainers({ all: true, filters: { label: [`berth.tenant=${t}`] } }))
      await docker.getContainer(c.Id).remove({ force: true });
    await withFiles.removeNetwork(net).catch(() => undefined);
    for (const v of (await docker.listVolumes({ filters: { label: [`berth.tenant=${t}`] } })).Volumes ?? [])
      await docker.getVolume(v.Name).remove();
    rmSync(filesDir, { recursive: true, force: true });
  });

  it("mounts files read-only, a named volume, limits, restart policy, command and an alias by app name", async () => {
    const image = await withFiles.inspectImage("berth/busybox:latest");
    await withFiles.ensureNetwork(net, {});
    const w = await withFiles.start({
      identity: id,
      release: 1,
      slot: 0,
      image: image?.id as string,
      port: 6379,
      network: net,
      files: [{ path: "/app/config/app.properties", content: "level=debug\n" }],
      cpus: 0.25,
      memoryMb: 64,
      restart: "on-failure",
      command: ["sh", "-c", "echo $$ > /data/pid; exec httpd -f -p 6379 -h /app/config"],
      volumes: [{ name: "data", path: "/data" }],
    });
    const info = await docker.getContainer(w.id).inspect();
    expect(info.HostConfig.Memory).toBe(64 * 1024 * 1024);
    expect(info.HostConfig.NanoCpus).toBe(250_000_000);
    expect(info.HostConfig.RestartPolicy?.Name).toBe("on-failure");
    expect(info.Config.Cmd).toEqual([
      "sh",
      "-c",
      "echo $$ > /data/pid; exec httpd -f -p 6379 -h /app/config",
    ]);
    const file = info.Mounts.find((m) => m.Destination === "/app/config/app.properties");
    expect(file).toMatchObject({ Type: "bind", RW: false });
    expect(statSync(file?.Source as string).mode & 0o777).toBe(0o444);
    const volume = info.Mounts.find((m) => m.Destination === "/data");
    expect(volume).toMatchObject({ Type: "volume", Name: `berth-f${t}.${t}.dev.vol.data`, RW: true });
    expect(info.NetworkSettings.Networks[`berth-f${t}.${t}.dev`]?.Aliases).toContain("cache");

    const exec = async (cmd: string[]) => {
      const e = await docker.getContainer(w.id).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
      const stream = await e.start({});
      const out = await readText(stream);
      return { out, code: (await e.inspect()).ExitCode };
    };
    expect((await exec(["cat", "/app/config/app.properties"])).out).toContain("level=debug");
    const write = await exec(["sh", "-c", "echo x > /app/config/app.properties"]);
    expect(write.code).not.toBe(0);
    expect(write.out).toContain("Read-only file system");
    // Another container of the environment reaches this one by the app's name.
    const client = await withFiles.start({
      identity: { ...id, app: "client" },
      release: 1,
      slot: 0,
      image: image?.id as string,
      port: 8080,
      network: net,
      command: ["sh", "-c", "wget -qO- http://cache:6379/app.properties; sleep 60"],
    });
    expect(
      await readText(await withFiles.logs(client.id, { follow: true, tail: 100 }), "level=debug"),
    ).toContain("level=debug");
  });

  it("joins link networks at start and on demand, with aliases, and reports every network", async () => {
    const image = await withFiles.inspectImage("berth/busybox:latest");
    const link = `berth.link_${Date.now() % 100000}`;
    await withFiles.ensureNetwork(link, {});
    const w = await withFiles.start({
      identity: { ...id, app: "linked" },
      release: 1,
      slot: 0,
      image: image?.id as string,
      port: 8080,
      network: net,
      command: ["sleep", "60"],
      links: [{ network: link, aliases: ["linked.dev.x"] }],
    });
    expect(w.networks).toEqual([net, link].sort());
    const info = await docker.getContainer(w.id).inspect();
    expect(info.NetworkSettings.Networks[`berth-f${t}.${link.slice("berth.".length)}`]?.Aliases).toContain(
      "linked.dev.x",
    );
    // The router's address is the one on the environment network, whatever else it joined.
    expect(w.address).toBe(info.NetworkSettings.Networks[`berth-f${t}.${t}.dev`]?.IPAddress);
    await withFiles.disconnect(w.id, link);
    await withFiles.disconnect(w.id, link);
    expect((await withFiles.list({ tenant: t, app: "linked" }))[0]?.networks).toEqual([net]);
    await withFiles.connect(w.id, { network: link, aliases: [] });
    await withFiles.connect(w.id, { network: link, aliases: [] });
    expect((await withFiles.list({ tenant: t, app: "linked" }))[0]?.networks).toEqual([net, link].sort());
    await withFiles.remove(w.id, 0);
    await withFiles.removeNetwork(link);
  });

  it("asks Docker for exactly the isolation exceptions a spec carries, and refuses a host path through a symlink", async () => {
    const image = await withFiles.inspectImage("berth/busybox:latest");
    const host = mkdtempSync(join(tmpdir(), "berth-host-"));
    const w = await withFiles.start({
      identity: { ...id, app: "elevated" },
      release: 1,
      slot: 0,
      image: image?.id as string,
      port: 8080,
      network: net,
      command: ["sleep", "60"],
      capAdd: ["NET_ADMIN"],
      hostPid: true,
      devices: ["/dev/fuse"],
      hostMounts: [{ hostPath: host, path: "/host", readOnly: true }],
    });
    const info = await docker.getContainer(w.id).inspect();
    expect(info.HostConfig.CapAdd).toEqual(["NET_ADMIN"]);
    expect(info.HostConfig.PidMode).toBe("host");
    expect(info.HostConfig.Privileged).toBe(false);
    expect(info.Mounts.find((m) => m.Destination === "/host")).toMatchObject({
      Type: "bind",
      Source: host,
      RW: false,
    });
    await withFiles.remove(w.id, 0);

    // Privileged mode needs every capability, and this sandbox lacks CAP_SYS_RESOURCE: where
    // Docker can, it runs privileged; here runc refuses, which shows it was asked to.
    const priv = await withFiles
      .start({
        identity: { ...id, app: "priv" },
        release: 1,
        slot: 0,
        image: image?.id as string,
        port: 8080,
        network: net,
        command: ["sleep", "60"],
        privileged: true,
      })
      .then((x) => docker.getContainer(x.id).inspect())
      .catch((error: Error) => error);
    if (priv instanceof Error) expect(priv.message).toMatch(/unable to apply caps|operation not permitted/);
    else expect(priv.HostConfig.Privileged).toBe(true);

    symlinkSync("/etc", join(host, "etc-link"));
    const refused = await rejection(
      withFiles.start({
        identity: { ...id, app: "sneaky" },
        release: 1,
        slot: 0,
        image: image?.id as string,
        port: 8080,
        network: net,
        command: ["sleep", "60"],
        hostMounts: [{ hostPath: join(host, "etc-link"), path: "/x", readOnly: false }],
      }),
    );
    expect(refused).toBeInstanceOf(DomainError);
    expect((refused as DomainError).message).toMatch(/goes through a symlink \(to \/etc\)/);
    expect(await withFiles.list({ tenant: t, app: "sneaky" })).toEqual([]);
    rmSync(host, { recursive: true, force: true });
  });
});
