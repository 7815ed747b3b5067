import { describe, expect, it } from "vitest";
import { type ModuleHook, moduleImageTag } from "../../../src/domain/capability-module.js";
import { hookJob } from "../../../src/formats/hook-job.js";
import { instanceVariables } from "../../../src/formats/module-variables.js";
import { fixtureManifest, shippedManifest } from "./module-fixture.js";

const MODULE = { capability: "cache", version: "1.0.0", digest: "3f2a9c1d0b7e55aa66bb77cc88dd99ee" };
const AT = { tenant: "bank", env: "prod", instance: "sessions" };

const hook = (over: Partial<ModuleHook> = {}): ModuleHook => ({
  command: ["/usr/local/lib/berth/bind"],
  timeoutSeconds: 300,
  ...over,
});

const vars = () =>
  instanceVariables(fixtureManifest(), {
    instance: AT.instance,
    plan: { cpus: 0.5, memoryMb: 256 },
    params: { policy: "noeviction", workers: 2 },
    secrets: { admin_password: "s3cr3t-s3cr3t-s3cr3t" },
  });

describe("moduleImageTag", () => {
  it("is berth-cap/<capability>-<image>:<version>-<12 digits of the digest>", () => {
    expect(moduleImageTag(MODULE, "server")).toBe("berth-cap/cache-server:1.0.0-3f2a9c1d0b7e");
  });
});

describe("hookJob", () => {
  const m = fixtureManifest();

  it("runs the hook's own image when it names one", () => {
    const job = hookJob(m, MODULE, AT, hook({ image: "tools" }), "server", "bind", vars());
    expect(job.image).toBe(moduleImageTag(MODULE, "tools"));
    expect(job.image).toBe("berth-cap/cache-tools:1.0.0-3f2a9c1d0b7e");
  });

  it("else the image of the service it is for", () => {
    expect(hookJob(m, MODULE, AT, hook(), "server", "bind", vars()).image).toBe(
      "berth-cap/cache-server:1.0.0-3f2a9c1d0b7e",
    );
    expect(hookJob(m, MODULE, AT, hook(), "worker", "ready", vars()).image).toBe(
      "berth-cap/cache-tools:1.0.0-3f2a9c1d0b7e",
    );
  });

  it("gives the instance's variables and SERVICE_HOST / SERVICE_PORT as its environment", () => {
    const given = { ...vars(), BINDING_USERNAME: "u_main", BINDING_PASSWORD: "pw" };
    const job = hookJob(m, MODULE, AT, hook(), "server", "bind", given);
    expect(job.env).toEqual({ ...given, SERVICE_HOST: "sessions", SERVICE_PORT: "6379" });
    expect(job.env.SECRET_ADMIN_PASSWORD).toBe("s3cr3t-s3cr3t-s3cr3t");
  });

  it("runs as the binding service's component of the instance, in its tenant and environment", () => {
    expect(hookJob(m, MODULE, AT, hook(), "worker", "ready", vars()).identity).toEqual({
      tenant: "bank",
      env: "prod",
      app: "sessions",
    });
    const dask = shippedManifest("dask");
    const job = hookJob(
      dask,
      { ...MODULE, capability: "dask" },
      { ...AT, instance: "jobs" },
      hook(),
      "worker",
      "ready",
      {},
    );
    expect(job.identity.app).toBe("jobs");
    expect(job.image).toBe("berth-cap/dask-dask:1.0.0-3f2a9c1d0b7e");
  });

  it("runs the hook's command literally: no templates, no shell", () => {
    const command = ["/usr/local/lib/berth/bind", "${SECRET_ADMIN_PASSWORD}", "$(id)", "a b"];
    const job = hookJob(m, MODULE, AT, hook({ command }), "server", "bind", vars());
    expect(job.command).toEqual(["/usr/local/lib/berth/bind", "${SECRET_ADMIN_PASSWORD}", "$(id)", "a b"]);
  });

  it("takes the hook's timeout, the volumes it is given, and no files", () => {
    const volumes = [{ name: "sessions-data", path: "/data" }];
    const job = hookJob(m, MODULE, AT, hook({ timeoutSeconds: 42 }), "server", "restore", vars(), volumes);
    expect(job.timeoutSeconds).toBe(42);
    expect(job.volumes).toEqual(volumes);
    expect(job.files).toEqual([]);
    expect(hookJob(m, MODULE, AT, hook(), "server", "bind", vars()).volumes).toEqual([]);
  });

  it("is named after its purpose, differently each time", () => {
    const a = hookJob(m, MODULE, AT, hook(), "server", "bind", vars());
    const b = hookJob(m, MODULE, AT, hook(), "server", "bind", vars());
    expect(a.name).toMatch(/^bind-[a-z0-9]{1,6}$/);
    expect(a.name).not.toBe(b.name);
    expect(hookJob(m, MODULE, AT, hook(), "server", "x".repeat(80), vars()).name).toHaveLength(63);
  });
});
