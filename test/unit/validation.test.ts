import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { CreateAppRequest } from "../../src/domain/app.js";
import { appHost, appUrl } from "../../src/domain/app-host.js";
import { DeployRequest, RollbackRequest, ScaleRequest } from "../../src/domain/deployment.js";
import { AppName, DNS_LABEL, DNS_NAME, EnvName, TenantName } from "../../src/domain/dns-label.js";
import { networkName } from "../../src/domain/environment.js";
import { ImageRef } from "../../src/domain/image-ref.js";
import {
  appKey,
  containerName,
  LABEL,
  parseAppKey,
  type WorkloadIdentity,
  workloadLabels,
} from "../../src/domain/labels.js";
import { HealthPath, HealthTimeout, Port, Replicas } from "../../src/domain/runtime-spec.js";
import { CreateTenantRequest } from "../../src/domain/tenant.js";

const HEX64 = "0123456789abcdef".repeat(4);

/** The messages of a failed parse; fails the test if the value was accepted. */
function problems(schema: z.ZodType, value: unknown): string[] {
  const result = schema.safeParse(value);
  expect(result.success, `expected ${JSON.stringify(value)} to be rejected`).toBe(false);
  return result.error?.issues.map((i) => i.message) ?? [];
}

describe("DNS labels (tenant, environment and app names)", () => {
  const valid = ["web", "a", "0", "a-b-1", "a--b", "9lives", "x".repeat(63)];
  const invalid = [
    "",
    "-a",
    "a-",
    "-",
    "A",
    "Web",
    "a_b",
    "x".repeat(64),
    "a.b",
    "a b",
    " web",
    "web\n",
    "wéb",
    "ｗｅｂ",
    "web;rm -rf",
    "../web",
  ];

  it.each(valid)("accepts %j", (name) => {
    for (const schema of [TenantName, EnvName, AppName]) expect(schema.parse(name)).toBe(name);
    expect(DNS_LABEL.test(name)).toBe(true);
  });

  it.each(invalid)("rejects %j", (name) => {
    for (const schema of [TenantName, EnvName, AppName]) expect(schema.safeParse(name).success).toBe(false);
    expect(DNS_LABEL.test(name)).toBe(false);
  });

  it("rejects non-strings", () => {
    for (const value of [1, null, undefined, ["web"], { name: "web" }]) {
      expect(AppName.safeParse(value).success).toBe(false);
    }
  });

  it("names the kind of name and the rule in the message", () => {
    expect(problems(TenantName, "Acme")).toEqual([expect.stringContaining("tenant must be a DNS label")]);
    expect(problems(EnvName, "prod_1")).toEqual([expect.stringContaining("environment must be a DNS label")]);
    const [message] = problems(AppName, "-web");
    expect(message).toContain("app must be a DNS label");
    expect(message).toContain("1-63");
  });

  it("DNS_NAME accepts dotted names of labels only", () => {
    for (const ok of ["example.com", "localhost", "berth.internal", "a.b.c.d"])
      expect(DNS_NAME.test(ok)).toBe(true);
    for (const bad of [
      "",
      ".",
      "example.com.",
      ".example.com",
      "a..b",
      "Example.com",
      "a_b.com",
      "-a.com",
      "a b.com",
    ]) {
      expect(DNS_NAME.test(bad), bad).toBe(false);
    }
    expect(DNS_NAME.test(`${"a".repeat(60)}.${"b".repeat(60)}.${"c".repeat(60)}.${"d".repeat(17)}`)).toBe(
      true,
    );
    expect(DNS_NAME.test(`${"a".repeat(60)}.${"b".repeat(60)}.${"c".repeat(60)}.${"d".repeat(18)}`)).toBe(
      false,
    );
  });
});

describe("ImageRef", () => {
  const valid = [
    "berth/busybox:latest",
    "busybox",
    "registry.local:5000/team/web:1.2",
    "localhost/web",
    "ghcr.io/acme/web-app_v2:v1.0.0-rc.1",
    `web@sha256:${HEX64}`,
    `registry.local:5000/team/web:1.2@sha256:${HEX64}`,
    `sha256:${HEX64}`,
  ];
  const invalid = [
    "",
    "Web",
    "team/Web",
    "a b",
    "x:tag with space",
    "$(id)",
    "../containers",
    "..:1/x",
    "-registry.local/x",
    "`id`",
    "a;b",
    "a|b",
    "a&&b",
    "web:",
    "web:-tag",
    "web@sha256:abc",
    `web@sha256:${HEX64.toUpperCase()}`,
    "web\n",
    "/web",
    "web/",
    "--help",
    "a".repeat(600),
  ];

  it.each(valid)("accepts %s", (ref) => {
    expect(ImageRef.parse(ref)).toBe(ref);
  });

  it.each(invalid)("rejects %j", (ref) => {
    expect(ImageRef.safeParse(ref).success).toBe(false);
  });

  it("caps the length at 512 characters", () => {
    const long = `r/${"a".repeat(505)}`; // 507 characters, otherwise valid
    expect(ImageRef.safeParse(long).success).toBe(true);
    expect(ImageRef.safeParse(`r/${"a".repeat(511)}`).success).toBe(false);
  });

  it("explains what an image reference looks like", () => {
    expect(problems(ImageRef, "a;b")).toEqual([expect.stringContaining("Docker image reference")]);
  });

  it("stays fast on adversarial input", () => {
    const started = performance.now();
    for (const evil of [
      `${"a-".repeat(250)}!`,
      `${"a.".repeat(250)}/`,
      `${"a/".repeat(250)}A`,
      `${"a__".repeat(170)}`,
    ]) {
      expect(ImageRef.safeParse(evil).success).toBe(false);
    }
    expect(performance.now() - started).toBeLessThan(500);
  });
});

describe("HealthPath", () => {
  it.each(["/", "/healthz", "/a/b?x=1&y=2", "/status.json", "/~user/%20ok", "/a?"])("accepts %j", (path) => {
    expect(HealthPath.parse(path)).toBe(path);
  });

  it.each([
    "",
    "healthz",
    "http://x/healthz",
    "/a b",
    '/a"b',
    "/a\nb",
    "/healthz\n",
    "/a\rb",
    `/\${x}`, // a literal "${x}"
    "/$(id)",
    "/a;b",
    "/a'b",
    "/a\\b",
    "/a?b?c",
    "/a#frag",
    `/${"a".repeat(256)}`,
  ])("rejects %j", (path) => {
    expect(HealthPath.safeParse(path).success).toBe(false);
  });

  it("says which characters are allowed", () => {
    expect(problems(HealthPath, "healthz")).toEqual([
      expect.stringContaining("health path must start with '/'"),
    ]);
  });
});

describe("numeric ranges", () => {
  it("Port is an integer in 1..65535", () => {
    for (const ok of [1, 80, 8080, 65535]) expect(Port.safeParse(ok).success, String(ok)).toBe(true);
    for (const bad of [0, -1, 65536, 80.5, Number.NaN, Number.POSITIVE_INFINITY, "80", null]) {
      expect(Port.safeParse(bad).success, String(bad)).toBe(false);
    }
  });

  it("Replicas is an integer in 0..100", () => {
    for (const ok of [0, 1, 3, 100]) expect(Replicas.safeParse(ok).success, String(ok)).toBe(true);
    for (const bad of [-1, 101, 1.5, "2", null])
      expect(Replicas.safeParse(bad).success, String(bad)).toBe(false);
  });

  it("HealthTimeout is an integer number of seconds in 1..3600", () => {
    for (const ok of [1, 60, 3600]) expect(HealthTimeout.safeParse(ok).success, String(ok)).toBe(true);
    for (const bad of [0, 3601, 2.5, -5])
      expect(HealthTimeout.safeParse(bad).success, String(bad)).toBe(false);
  });
});

describe("request bodies", () => {
  it("DeployRequest accepts an image alone or with every option", () => {
    expect(DeployRequest.parse({ image: "web:1" })).toEqual({ image: "web:1" });
    const full = { image: "web:1", port: 3000, replicas: 3, healthPath: "/ready", healthTimeout: 120 };
    expect(DeployRequest.parse(full)).toEqual(full);
  });

  it("DeployRequest rejects unknown keys instead of ignoring them", () => {
    const result = DeployRequest.safeParse({ image: "web:1", command: "sh -c 'id'", privileged: true });
    expect(result.success).toBe(false);
    const issue = result.error?.issues[0];
    expect(issue?.code).toBe("unrecognized_keys");
    expect(issue?.message).toContain("command");
    expect(issue?.message).toContain("privileged");
  });

  it("DeployRequest points at the faulty field", () => {
    const result = DeployRequest.safeParse({ image: "web:1", port: 0, healthPath: "x" });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join("."))).toEqual(["port", "healthPath"]);
    expect(DeployRequest.safeParse({}).error?.issues.map((i) => i.path.join("."))).toEqual(["image"]);
  });

  it("other request bodies are strict and validated too", () => {
    expect(CreateTenantRequest.safeParse({ name: "acme" }).success).toBe(true);
    expect(CreateTenantRequest.safeParse({ name: "acme", admin: true }).success).toBe(false);
    expect(CreateAppRequest.safeParse({ name: "Web" }).success).toBe(false);
    expect(ScaleRequest.safeParse({ replicas: 2 }).success).toBe(true);
    expect(ScaleRequest.safeParse({ replicas: 101 }).success).toBe(false);
    expect(RollbackRequest.safeParse({}).success).toBe(true);
    expect(RollbackRequest.safeParse({ to: 0 }).success).toBe(false);
    expect(RollbackRequest.safeParse({ to: 2, force: true }).success).toBe(false);
  });
});

describe("labels and names", () => {
  const id: WorkloadIdentity = { tenant: "acme", env: "prod", app: "web" };

  it("appKey and parseAppKey round-trip", () => {
    // Keys name their kind first (issue 14): app/TENANT/ENV/APP.
    expect(appKey(id)).toBe("app/acme/prod/web");
    expect(parseAppKey(appKey(id))).toEqual(id);
    const long: WorkloadIdentity = { tenant: "t".repeat(63), env: "a-b-1", app: "0" };
    expect(parseAppKey(appKey(long))).toEqual(long);
  });

  it.each([
    "",
    "acme",
    "acme/prod",
    "acme/prod/web/extra",
    "acme//web",
    "/prod/web",
    "acme/prod/",
    "//",
    "app/acme/prod",
    "app/acme/prod/web/x",
    "job/acme/prod/web",
  ])("parseAppKey rejects %j", (key) => {
    expect(parseAppKey(key)).toBeUndefined();
  });

  it("containerName is unambiguous and carries release and slot", () => {
    expect(containerName(id, 12, 3)).toBe("berth.acme.prod.web.r12.3");
    expect(containerName({ tenant: "a", env: "b-c", app: "d" }, 1, 0)).toBe("berth.a.b-c.d.r1.0");
    expect(containerName(id, 1, 10)).not.toBe(containerName(id, 11, 0));
  });

  it("workloadLabels mark the container as managed with its identity", () => {
    expect(workloadLabels(id, 4, 2)).toEqual({
      [LABEL.managed]: "true",
      [LABEL.tenant]: "acme",
      [LABEL.env]: "prod",
      [LABEL.app]: "web",
      [LABEL.release]: "4",
      [LABEL.slot]: "2",
    });
    expect(LABEL.managed).toBe("berth.managed");
  });

  it("networkName is per tenant and environment", () => {
    expect(networkName("acme", "prod")).toBe("berth.acme.prod");
  });
});

describe("app URLs", () => {
  const id: WorkloadIdentity = { tenant: "acme", env: "prod", app: "web" };

  it("appHost is APP.ENV.TENANT.DOMAIN", () => {
    expect(appHost(id, "berth.example.com")).toBe("web.prod.acme.berth.example.com");
  });

  it("omits port 80 and includes any other port", () => {
    expect(appUrl(id, "example.com", 80)).toBe("http://web.prod.acme.example.com/");
    expect(appUrl(id, "example.com", 8080)).toBe("http://web.prod.acme.example.com:8080/");
    expect(appUrl(id, "localhost", 443)).toBe("http://web.prod.acme.localhost:443/");
  });
});
