import { describe, expect, it } from "vitest";
import {
  type ProjectedBinding,
  projectBindings,
  SERVICE_BINDING_ROOT,
} from "../../../src/config/project-bindings.js";
import {
  type LayeredEntry,
  type ReleaseSnapshot,
  resolveRelease,
} from "../../../src/config/resolve-release.js";

/** A resolved release of an app with one plain var, one secret var and one secret file, and `more` entries. */
function snapshot(more: LayeredEntry[] = []): ReleaseSnapshot {
  return resolveRelease({
    entries: [
      { layer: "app", key: "LOG_LEVEL", value: "info", secret: false },
      { layer: "app", key: "API_TOKEN", value: "t0k3n", secret: true },
      ...more,
    ],
    files: [{ layer: "app", path: "/app/secret.key", template: "${API_TOKEN}" }],
    settings: [],
    identity: { tenant: "bank", env: "prod", app: "web" },
    release: 3,
    host: { memoryMb: 8_000, cpus: 4 },
    imagePort: undefined,
  });
}

const postgres = (name: string, over: Partial<ProjectedBinding> = {}): ProjectedBinding => ({
  name,
  files: {
    type: "postgresql",
    provider: "berth",
    host: `${name}-db`,
    port: "5432",
    username: `u_${name}`,
    password: `pw-${name}`,
  },
  env: { DATABASE_URL: `postgresql://u_${name}:pw-${name}@${name}-db:5432/app` },
  ...over,
});

describe("projectBindings", () => {
  it("returns the snapshot itself when there are no bindings", () => {
    const s = snapshot();
    expect(projectBindings(s, [])).toBe(s);
  });

  it("puts each key as a secret file under /bindings/<name>/<key>, after the app's own", () => {
    const s = snapshot();
    const out = projectBindings(s, [postgres("main")]);
    expect(SERVICE_BINDING_ROOT).toBe("/bindings");
    expect(out.secretFiles).toEqual([
      ...s.secretFiles,
      { path: "/bindings/main/type", content: "postgresql" },
      { path: "/bindings/main/provider", content: "berth" },
      { path: "/bindings/main/host", content: "main-db" },
      { path: "/bindings/main/port", content: "5432" },
      { path: "/bindings/main/username", content: "u_main" },
      { path: "/bindings/main/password", content: "pw-main" },
    ]);
    expect(out.files).toEqual(s.files);
    expect(out.files.some((f) => f.path.startsWith("/bindings/"))).toBe(false);
  });

  it("gives each binding its own folder", () => {
    const out = projectBindings(snapshot(), [postgres("main"), postgres("reports")]);
    const paths = out.secretFiles.map((f) => f.path).filter((p) => p.endsWith("/host"));
    expect(paths).toEqual(["/bindings/main/host", "/bindings/reports/host"]);
  });

  it("makes a binding's env vars secret env vars, never plain ones", () => {
    const out = projectBindings(snapshot(), [postgres("main")]);
    expect(out.secretEnv).toEqual({
      API_TOKEN: "t0k3n",
      DATABASE_URL: "postgresql://u_main:pw-main@main-db:5432/app",
    });
    expect(out.env).not.toHaveProperty("DATABASE_URL");
  });

  it("lets the app's own config win over a binding's env var, plain or secret", () => {
    const s = snapshot([
      { layer: "app", key: "DATABASE_URL", value: "postgresql://mine", secret: false },
      { layer: "app", key: "REDIS_URL", value: "redis://mine", secret: true },
    ]);
    const out = projectBindings(s, [
      postgres("main"),
      { name: "cache", files: { host: "cache" }, env: { REDIS_URL: "redis://bound", CACHE_HOST: "cache" } },
    ]);
    expect(out.env.DATABASE_URL).toBe("postgresql://mine");
    expect(out.secretEnv).toEqual({ API_TOKEN: "t0k3n", REDIS_URL: "redis://mine", CACHE_HOST: "cache" });
  });

  it("gives a second binding's var of the same name as NAME_VAR", () => {
    const out = projectBindings(snapshot(), [postgres("main"), postgres("reports")]);
    expect(out.secretEnv.DATABASE_URL).toBe("postgresql://u_main:pw-main@main-db:5432/app");
    expect(out.secretEnv.REPORTS_DATABASE_URL).toBe("postgresql://u_reports:pw-reports@reports-db:5432/app");
    expect(out.secretEnv).not.toHaveProperty("MAIN_DATABASE_URL");
  });

  it("upper-cases the binding's name and turns '-' into '_' for the prefix; a third gets its own", () => {
    const out = projectBindings(snapshot(), [postgres("main"), postgres("read-replica"), postgres("audit")]);
    expect(Object.keys(out.secretEnv).sort()).toEqual([
      "API_TOKEN",
      "AUDIT_DATABASE_URL",
      "DATABASE_URL",
      "READ_REPLICA_DATABASE_URL",
    ]);
  });

  it("prefixes only the vars already taken, not the binding's others", () => {
    const out = projectBindings(snapshot(), [
      postgres("main"),
      postgres("reports", { env: { DATABASE_URL: "postgresql://r", PGSSLMODE: "require" } }),
    ]);
    expect(out.secretEnv.REPORTS_DATABASE_URL).toBe("postgresql://r");
    expect(out.secretEnv.PGSSLMODE).toBe("require");
    expect(out.secretEnv).not.toHaveProperty("REPORTS_PGSSLMODE");
  });

  it("lets the app's own config win over a prefixed name too", () => {
    const s = snapshot([{ layer: "app", key: "REPORTS_DATABASE_URL", value: "mine", secret: true }]);
    const out = projectBindings(s, [postgres("main"), postgres("reports")]);
    expect(out.secretEnv.REPORTS_DATABASE_URL).toBe("mine");
    expect(out.secretEnv.DATABASE_URL).toBe("postgresql://u_main:pw-main@main-db:5432/app");
  });

  it("sets SERVICE_BINDING_ROOT=/bindings as a plain env var", () => {
    const out = projectBindings(snapshot(), [postgres("main")]);
    expect(out.env).toEqual({ LOG_LEVEL: "info", SERVICE_BINDING_ROOT: "/bindings" });
    expect(out.secretEnv).not.toHaveProperty("SERVICE_BINDING_ROOT");
  });

  it("leaves SERVICE_BINDING_ROOT alone when the app set it, plain or secret", () => {
    const plain = snapshot([{ layer: "app", key: "SERVICE_BINDING_ROOT", value: "/etc/b", secret: false }]);
    expect(projectBindings(plain, [postgres("main")]).env.SERVICE_BINDING_ROOT).toBe("/etc/b");
    const secret = snapshot([{ layer: "app", key: "SERVICE_BINDING_ROOT", value: "/etc/s", secret: true }]);
    const out = projectBindings(secret, [postgres("main")]);
    expect(out.env).not.toHaveProperty("SERVICE_BINDING_ROOT");
    expect(out.secretEnv.SERVICE_BINDING_ROOT).toBe("/etc/s");
  });

  it("keeps the rest of the snapshot and does not change the one it was given", () => {
    const s = snapshot();
    const before = structuredClone(s);
    const out = projectBindings(s, [postgres("main"), postgres("reports")]);
    expect(s).toEqual(before);
    expect(out.resources).toEqual(s.resources);
    expect(out.replicas).toBe(s.replicas);
    expect(out.facts).toEqual(s.facts);
    expect(out.files).toEqual(s.files);
  });

  it("a binding with no env vars still gets its files and SERVICE_BINDING_ROOT", () => {
    const out = projectBindings(snapshot(), [{ name: "jobs", files: { uri: "tcp://jobs:8786" }, env: {} }]);
    expect(out.secretFiles.at(-1)).toEqual({ path: "/bindings/jobs/uri", content: "tcp://jobs:8786" });
    expect(out.secretEnv).toEqual({ API_TOKEN: "t0k3n" });
    expect(out.env.SERVICE_BINDING_ROOT).toBe("/bindings");
  });

  // Was a bug (fixed; src/config/project-bindings.ts): `key in fromBindings` on a plain object sees
  // Object.prototype, so a first binding's var named like a prototype member (ConfigKey allows
  // `constructor`, `toString`, `__proto__`) is taken as already set and given as MAIN_constructor.
  it("a first binding's var is never prefixed, whatever its name", () => {
    const out = projectBindings(snapshot(), [
      { name: "main", files: {}, env: { constructor: "x", toString: "y" } },
    ]);
    expect(Object.entries(out.secretEnv)).toEqual(
      expect.arrayContaining([
        ["constructor", "x"],
        ["toString", "y"],
      ]),
    );
    expect(Object.keys(out.secretEnv).filter((k) => k.startsWith("MAIN_"))).toEqual([]);
  });
});
