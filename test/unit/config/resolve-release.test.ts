import { describe, expect, it } from "vitest";
import { diffSnapshots, summarizeChanges } from "../../../src/config/diff-snapshots.js";
import {
  type LayeredEntry,
  type LayeredSetting,
  type ReleaseInputs,
  resolveRelease,
  resolveSettings,
  resourcesFrom,
} from "../../../src/config/resolve-release.js";
import type { ConfigLayer } from "../../../src/domain/config.js";

const entry = (layer: ConfigLayer, key: string, value: string, secret = false): LayeredEntry => ({
  layer,
  key,
  value,
  secret,
});
const setting = (layer: ConfigLayer, name: LayeredSetting["name"], value: unknown): LayeredSetting => ({
  layer,
  name,
  value,
});

const inputs = (over: Partial<ReleaseInputs> = {}): ReleaseInputs => ({
  entries: [],
  files: [],
  settings: [],
  identity: { tenant: "bank", env: "prod", app: "web" },
  release: 7,
  host: { memoryMb: 24_000, cpus: 8 },
  imagePort: undefined,
  ...over,
});

describe("resolveRelease: layering", () => {
  it("takes each key from the highest layer: tenant < tenant-env < app < app-env < release", () => {
    const layers: ConfigLayer[] = ["tenant", "tenant-env", "app", "app-env", "release"];
    for (let top = 0; top < layers.length; top++) {
      // Shuffled order of rows must not matter.
      const rows = layers
        .slice(0, top + 1)
        .map((l) => entry(l, "LEVEL", l))
        .reverse();
      expect(resolveRelease(inputs({ entries: rows })).env.LEVEL).toBe(layers[top]);
    }
  });

  it("keeps keys from every layer side by side", () => {
    const s = resolveRelease(
      inputs({ entries: [entry("tenant", "A", "1"), entry("app", "B", "2"), entry("app-env", "C", "3")] }),
    );
    expect(s.env).toEqual({ A: "1", B: "2", C: "3" });
  });

  it("resolves settings by layer too, and fills defaults", () => {
    const s = resolveRelease(
      inputs({
        settings: [
          setting("tenant", "memoryMb", 512),
          setting("app-env", "memoryMb", 1024),
          setting("app", "replicas", 3),
          setting("tenant-env", "restart", "always"),
        ],
        imagePort: 9000,
      }),
    );
    expect(s.resources).toEqual({
      cpus: null,
      memoryMb: 1024,
      port: 9000,
      healthCheck: "http",
      healthPath: "/",
      healthTimeout: 60,
      restart: "always",
      command: null,
      volumes: [],
      privileged: false,
      hostNetwork: false,
      hostPid: false,
      capAdd: [],
      devices: [],
      hostMounts: [],
      placement: {
        constraints: [],
        spread: null,
        maxPerNode: null,
        reserveCpus: null,
        reserveMemoryMb: null,
      },
    });
    expect(s.replicas).toBe(3);
  });
});

describe("resolveRelease: facts", () => {
  it("gives -Xmx768m with a 1024 MB limit (the issue's example)", () => {
    const s = resolveRelease(
      inputs({
        entries: [entry("app", "JAVA_OPTS", "-Xms${BERTH_MEMORY_MB / 2}m -Xmx${BERTH_MEMORY_MB * 3 / 4}m")],
        settings: [setting("app-env", "memoryMb", 1024)],
      }),
    );
    expect(s.env.JAVA_OPTS).toBe("-Xms512m -Xmx768m");
    expect(s.facts.BERTH_MEMORY_MB).toBe("1024");
  });

  it("without limits the facts are what the host gives an unlimited container", () => {
    const s = resolveRelease(inputs());
    expect(s.facts).toMatchObject({
      BERTH_MEMORY_MB: "24000",
      BERTH_CPUS: "8",
      BERTH_ENV: "prod",
      BERTH_APP: "web",
      BERTH_TENANT: "bank",
      BERTH_RELEASE: "7",
      BERTH_PORT: "8080",
    });
  });

  it("an unknown reference names the key at fault", () => {
    expect(() => resolveRelease(inputs({ entries: [entry("app", "JAVA_OPTS", "-Xmx${MEMORY}m")] }))).toThrow(
      /JAVA_OPTS refers to MEMORY/,
    );
  });
});

describe("resolveRelease: secrets", () => {
  it("puts secrets, and values derived from them, apart from plain values", () => {
    const s = resolveRelease(
      inputs({
        entries: [
          entry("app-env", "DB_PASSWORD", "hunter2", true),
          entry("app", "DSN", "postgres://u:${DB_PASSWORD}@db/x"),
          entry("app", "PLAIN", "x"),
        ],
      }),
    );
    expect(s.env).toEqual({ PLAIN: "x" });
    expect(s.secretEnv).toEqual({ DB_PASSWORD: "hunter2", DSN: "postgres://u:hunter2@db/x" });
  });

  it("a plain value in a higher layer overrides a secret below it, and is then plain", () => {
    const s = resolveRelease(
      inputs({ entries: [entry("app", "TOKEN", "sealed", true), entry("app-env", "TOKEN", "dev-token")] }),
    );
    expect(s.env.TOKEN).toBe("dev-token");
    expect(s.secretEnv.TOKEN).toBeUndefined();
  });

  it("renders files against values and facts; a file that uses a secret is secret", () => {
    const s = resolveRelease(
      inputs({
        entries: [entry("app", "PW", "hunter2", true), entry("app", "LEVEL", "warn")],
        files: [
          { layer: "app", path: "/app/log.properties", template: "level=${LEVEL}\nheap=${BERTH_MEMORY_MB}" },
          { layer: "app", path: "/app/db.properties", template: "password=${PW}" },
          { layer: "app-env", path: "/app/log.properties", template: "level=debug" },
        ],
      }),
    );
    expect(s.files).toEqual([{ path: "/app/log.properties", content: "level=debug" }]);
    expect(s.secretFiles).toEqual([{ path: "/app/db.properties", content: "password=hunter2" }]);
  });

  it("refuses a file and a volume at the same path", () => {
    expect(() =>
      resolveRelease(
        inputs({
          files: [{ layer: "app", path: "/data", template: "x" }],
          settings: [setting("app", "volumes", [{ name: "data", path: "/data" }])],
        }),
      ),
    ).toThrow(/two mounts want \/data/);
  });
});

describe("diffSnapshots", () => {
  const view = (env: Record<string, string>, secret: string[] = [], over = {}) => ({
    image: "web:1",
    imageId: `sha256:${"a".repeat(64)}`,
    env,
    secretKeys: new Set(secret),
    files: {},
    secretFiles: new Set<string>(),
    resources: resolveRelease(inputs()).resources,
    ...over,
  });

  it("masks secrets unless shown, and the one-line summary never holds a value", () => {
    const a = view({ PW: "old-secret", LEVEL: "info", GONE: "x" }, ["PW"]);
    const b = view({ PW: "new-secret", LEVEL: "debug", NEW: "y" }, ["PW"]);
    const masked = diffSnapshots(a, b, false);
    expect(masked).toContainEqual({
      key: "PW",
      change: "changed",
      from: "******",
      to: "******",
      secret: true,
    });
    expect(masked).toContainEqual({
      key: "LEVEL",
      change: "changed",
      from: "info",
      to: "debug",
      secret: false,
    });
    expect(JSON.stringify(masked)).not.toMatch(/old-secret|new-secret/);
    expect(diffSnapshots(a, b, true)).toContainEqual({
      key: "PW",
      change: "changed",
      from: "old-secret",
      to: "new-secret",
      secret: true,
    });
    const summary = summarizeChanges(diffSnapshots(a, b, true));
    expect(summary).toBe("-GONE, ~LEVEL, +NEW, ~PW");
  });

  it("ignores BERTH_RELEASE, which differs on every release", () => {
    expect(diffSnapshots(view({ BERTH_RELEASE: "1" }), view({ BERTH_RELEASE: "2" }), false)).toEqual([]);
  });

  it("reports resource and image changes", () => {
    const res = resolveRelease(inputs({ settings: [setting("app", "memoryMb", 512)] })).resources;
    const lines = diffSnapshots(
      view({}),
      view({}, [], { resources: res, imageId: `sha256:${"b".repeat(64)}` }),
      false,
    );
    expect(summarizeChanges(lines)).toBe("memoryMb none→512, image");
  });
});

describe("resolveSettings: placement", () => {
  it("applies an environment's constraints together with the app's, and layers the rest", () => {
    const s = resolveSettings([
      setting("tenant-env", "constraints", ["env==prod"]),
      setting("app-env", "constraints", ["region==shenzhen", "env==prod"]),
      setting("tenant-env", "maxPerNode", 2),
      setting("app-env", "maxPerNode", 1),
      setting("app", "spread", "zone"),
    ]);
    expect(s.constraints).toEqual(["env==prod", "region==shenzhen"]);
    expect(s.maxPerNode).toBe(1);
    expect(resourcesFrom(s, undefined).placement).toEqual({
      constraints: ["env==prod", "region==shenzhen"],
      spread: "zone",
      maxPerNode: 1,
      reserveCpus: null,
      reserveMemoryMb: null,
    });
  });
});
