import { describe, expect, it } from "vitest";
import {
  bindingVariables,
  componentName,
  hookEnvironment,
  instanceVariables,
  paramText,
} from "../../../src/formats/module-variables.js";
import { fixtureManifest, shippedManifest } from "./module-fixture.js";

describe("componentName", () => {
  it("names the binding's service as the instance itself", () => {
    const m = fixtureManifest();
    expect(m.binding.service).toBe("server");
    expect(componentName(m, "sessions", "server")).toBe("sessions");
  });

  it("names every other service INSTANCE-SERVICE", () => {
    expect(componentName(fixtureManifest(), "sessions", "worker")).toBe("sessions-worker");
  });

  it("follows the module's binding service, whatever it is called (Dask: scheduler)", () => {
    const dask = shippedManifest("dask");
    expect(componentName(dask, "jobs", "scheduler")).toBe("jobs");
    expect(componentName(dask, "jobs", "worker")).toBe("jobs-worker");
  });
});

describe("instanceVariables", () => {
  const facts = {
    instance: "sessions",
    plan: { cpus: 0.5, memoryMb: 256 },
    params: { policy: "allkeys-lru", workers: 3, max_conn_count: 10 },
    secrets: { admin_password: "s3cr3t-s3cr3t-s3cr3t" },
  };

  it("gives INSTANCE, HOST, PORT, PLAN_*, PARAM_* (upper-cased) and SECRET_* (upper-cased)", () => {
    expect(instanceVariables(fixtureManifest(), facts)).toEqual({
      INSTANCE: "sessions",
      HOST: "sessions",
      PORT: "6379",
      PLAN_CPUS: "0.5",
      PLAN_MEMORY_MB: "256",
      PARAM_POLICY: "allkeys-lru",
      PARAM_WORKERS: "3",
      PARAM_MAX_CONN_COUNT: "10",
      SECRET_ADMIN_PASSWORD: "s3cr3t-s3cr3t-s3cr3t",
    });
  });

  it("HOST and PORT are the binding service's, not the first service's", () => {
    const dask = shippedManifest("dask");
    const vars = instanceVariables(dask, { ...facts, instance: "jobs", params: { workers: 2 }, secrets: {} });
    expect(vars.HOST).toBe("jobs");
    expect(vars.PORT).toBe("8786");
    expect(vars.PARAM_WORKERS).toBe("2");
    expect(Object.keys(vars).filter((k) => k.startsWith("SECRET_"))).toEqual([]);
  });

  it("gives only the parameters and secrets it is given", () => {
    const vars = instanceVariables(fixtureManifest(), { ...facts, params: {}, secrets: {} });
    expect(Object.keys(vars).sort()).toEqual(["HOST", "INSTANCE", "PLAN_CPUS", "PLAN_MEMORY_MB", "PORT"]);
  });
});

describe("paramText", () => {
  it("gives text as it is, and numbers and booleans as written", () => {
    expect(paramText("allkeys-lru")).toBe("allkeys-lru");
    expect(paramText('say "hi"')).toBe('say "hi"');
    expect(paramText("")).toBe("");
    expect(paramText(4)).toBe("4");
    expect(paramText(0.25)).toBe("0.25");
    expect(paramText(true)).toBe("true");
    expect(paramText(false)).toBe("false");
  });

  it("gives anything else as JSON", () => {
    expect(paramText(["a", 1])).toBe('["a",1]');
    expect(paramText({ depth: 3 })).toBe('{"depth":3}');
    expect(paramText(null)).toBe("null");
  });
});

describe("hookEnvironment and bindingVariables", () => {
  it("adds SERVICE_HOST and SERVICE_PORT from HOST and PORT, keeping every variable", () => {
    expect(hookEnvironment({ HOST: "sessions", PORT: "6379", SECRET_X: "y" })).toEqual({
      HOST: "sessions",
      PORT: "6379",
      SECRET_X: "y",
      SERVICE_HOST: "sessions",
      SERVICE_PORT: "6379",
    });
  });

  it("names a binding's user BINDING_NAME / BINDING_USERNAME / BINDING_PASSWORD", () => {
    expect(bindingVariables({ name: "main", username: "u_main", password: "pw" })).toEqual({
      BINDING_NAME: "main",
      BINDING_USERNAME: "u_main",
      BINDING_PASSWORD: "pw",
    });
  });
});
