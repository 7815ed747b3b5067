import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { networkName } from "../../src/domain/environment.js";
import type { WorkloadIdentity } from "../../src/domain/labels.js";
import type { Container, ContainerSpec } from "../../src/engines/docker/container-spec.js";
import { DockerContainers } from "../../src/engines/docker/docker-containers.js";

/**
 * Network isolation, proved from inside real containers: every tenant-environment has its own
 * network, so a container of tenant A cannot open a connection to one of tenant B, and dev cannot
 * reach prod of the same tenant; within one environment apps reach each other (the control).
 */
describe("network isolation between tenants and environments", () => {
  const docker = new Docker();
  const run = Date.now().toString(36);
  const engine = new DockerContainers(docker, { instance: `n${run}` });
  const a = `a${run}`;
  const b = `b${run}`;
  const started: Record<string, Container> = {};
  const server = ["httpd", "-f", "-p", "8080", "-h", "/etc"];

  const start = async (name: string, identity: WorkloadIdentity) => {
    const image = await engine.inspectImage("berth/busybox:latest");
    const network = networkName(identity.tenant, identity.env);
    await engine.ensureNetwork(network, {});
    started[name] = await engine.start({
      identity,
      release: 1,
      slot: 0,
      image: image?.id as string,
      port: 8080,
      network,
      command: server,
    });
  };

  /** Exit code of a 3 s HTTP attempt from one container to another's address. */
  const connect = async (from: string, to: string): Promise<number> => {
    const target = started[to]?.address;
    if (!target) throw new Error(`${to} has no address`);
    const exec = await docker.getContainer(started[from]?.id as string).exec({
      Cmd: ["timeout", "3", "wget", "-qO", "/dev/null", `http://${target}:8080/hostname`],
      AttachStdout: true,
      AttachStderr: true,
    });
    const stream = await exec.start({});
    await new Promise((resolve) => {
      stream.on("end", resolve);
      stream.resume();
    });
    return (await exec.inspect()).ExitCode ?? -1;
  };

  beforeAll(async () => {
    await start("aDevWeb", { tenant: a, env: "dev", app: "web" });
    await start("aDevApi", { tenant: a, env: "dev", app: "api" });
    await start("aProdWeb", { tenant: a, env: "prod", app: "web" });
    await start("bDevWeb", { tenant: b, env: "dev", app: "web" });
  });

  afterAll(async () => {
    for (const w of Object.values(started)) await engine.remove(w.id, 0).catch(() => undefined);
    for (const [t, e] of [
      [a, "dev"],
      [a, "prod"],
      [b, "dev"],
    ] as const)
      await engine.removeNetwork(networkName(t, e)).catch(() => undefined);
  });

  it("lets apps of one environment reach each other (the control)", async () => {
    expect(await connect("aDevApi", "aDevWeb")).toBe(0);
  });

  it("refuses a connection from tenant A to tenant B", async () => {
    expect(await connect("aDevWeb", "bDevWeb")).not.toBe(0);
    expect(await connect("bDevWeb", "aDevWeb")).not.toBe(0);
  });

  it("refuses a connection from dev to prod of the same tenant", async () => {
    expect(await connect("aDevWeb", "aProdWeb")).not.toBe(0);
    expect(await connect("aProdWeb", "aDevApi")).not.toBe(0);
  });
});
