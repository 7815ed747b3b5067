import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";

const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const DEPCRUISE = join(ROOT, "node_modules", ".bin", "depcruise");
const FIXTURES = "test/fixtures/boundaries/src";
const CLIENT_FIXTURES = "test/fixtures/boundaries/packages/client/src";

interface Violation {
  from: string;
  to: string;
  rule: { name: string; severity: string };
}
interface Cruise {
  summary: { error: number; warn: number; totalCruised: number; violations: Violation[] };
  modules: { source: string; dependencies: { resolved: string; dependencyTypes: string[] }[] }[];
}

/** Runs depcruise with an argument array (no shell) and parses its JSON, whatever its exit code. */
function depcruise(...targets: string[]): Promise<Cruise> {
  const args = ["--config", ".dependency-cruiser.cjs", "--output-type", "json", ...targets];
  return new Promise((resolvePromise, reject) => {
    execFile(DEPCRUISE, args, { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      try {
        resolvePromise(JSON.parse(stdout) as Cruise);
      } catch {
        reject(
          new Error(
            `depcruise ${targets.join(" ")} gave no JSON (${error?.message ?? "no error"}): ${stderr}`,
          ),
        );
      }
    });
  });
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.isFile() && entry.name.endsWith(".ts") ? [path] : [];
  });
}

describe("module boundaries (dependency-cruiser)", () => {
  let src: Cruise;
  let fixtures: Cruise;

  beforeAll(async () => {
    [src, fixtures] = await Promise.all([depcruise("src"), depcruise(FIXTURES, CLIENT_FIXTURES)]);
  });

  it("src/ has no violations", () => {
    const found = src.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`);
    expect(found).toEqual([]);
    expect(src.summary.error).toBe(0);
    expect(src.summary.totalCruised).toBeGreaterThan(50);
  });

  it("src/ does use engine and store types from the reconciler (types-only rules are exercised)", () => {
    const typeOnly = src.modules
      .filter((m) => m.source.startsWith("src/reconciler/"))
      .flatMap((m) => m.dependencies)
      .filter((d) => /^src\/(engines|store)\//.test(d.resolved));
    expect(typeOnly.length).toBeGreaterThan(0);
    for (const d of typeOnly) expect(d.dependencyTypes, d.resolved).toContain("type-only");
  });

  it("flags each boundary the fixtures break, and nothing else", () => {
    const at = (file: string) => `${FIXTURES}/${file}`;
    const found = fixtures.summary.violations.map((v) => ({ rule: v.rule.name, from: v.from, to: v.to }));
    const expected = [
      { rule: "domain-imports-only-", from: at("domain/leaky.ts"), to: at("store/thing.ts") },
      {
        rule: "reconciler-imports-engines-types-only",
        from: at("reconciler/uses-engine-code.ts"),
        to: at("engines/real-engine.ts"),
      },
      {
        rule: "cli-imports-only-api-domain-formats",
        from: at("cli/reaches-store.ts"),
        to: at("store/thing.ts"),
      },
      {
        rule: "client-imports-nothing-from-src",
        from: `${CLIENT_FIXTURES}/leaky-client.ts`,
        to: at("store/thing.ts"),
      },
      {
        rule: "client-imports-no-node-builtins",
        from: `${CLIENT_FIXTURES}/leaky-client.ts`,
        to: "path",
      },
      {
        rule: "only-cli-imports-client",
        from: at("engines/calls-api.ts"),
        to: `${CLIENT_FIXTURES}/leaky-client.ts`,
      },
    ];
    for (const violation of expected) expect(found).toContainEqual(violation);

    const cycles = found.filter((v) => v.rule === "no-circular");
    expect(cycles.length).toBeGreaterThan(0);
    const inCycle = new Set(cycles.flatMap((v) => [v.from, v.to]));
    expect([...inCycle].sort()).toEqual([at("store/cycle-a.ts"), at("store/cycle-b.ts")]);

    const ruleNames = new Set(found.map((v) => v.rule));
    expect([...ruleNames].sort()).toEqual([
      "cli-imports-only-api-domain-formats",
      "client-imports-no-node-builtins",
      "client-imports-nothing-from-src",
      "domain-imports-only-",
      "no-circular",
      "only-cli-imports-client",
      "reconciler-imports-engines-types-only",
    ]);
    expect(fixtures.summary.error).toBe(found.length);
    expect(fixtures.summary.violations.every((v) => v.rule.severity === "error")).toBe(true);
  });
});

describe("source hygiene", () => {
  const files = sourceFiles(join(ROOT, "src")).map((path) => ({
    name: relative(ROOT, path),
    text: readFileSync(path, "utf8"),
  }));

  it("finds the sources", () => {
    expect(files.length).toBeGreaterThan(50);
  });

  it("has no barrel re-exports (export *)", () => {
    expect(files.filter((f) => /^\s*export\s*\*/m.test(f.text)).map((f) => f.name)).toEqual([]);
  });

  it("never runs a shell: no exec()/execSync(), no shell: true", () => {
    // `.exec(` is RegExp#exec and `execFile(` takes an argument array: both are fine.
    const shelly = /(?<![.\w])exec(Sync)?\s*\(|\bshell\s*:\s*true\b|\bexec(Sync)?\s*[,}]/;
    expect(files.filter((f) => shelly.test(f.text)).map((f) => f.name)).toEqual([]);
    // The checker itself catches what it should.
    for (const bad of [
      'exec("ls")',
      "execSync(cmd)",
      "spawn(cmd, { shell: true })",
      'import { exec } from "x"',
    ]) {
      expect(shelly.test(bad), bad).toBe(true);
    }
    for (const ok of ["execFile(cmd, args)", "/x/.exec(s)", "query.execute()", "executeTakeFirst()"]) {
      expect(shelly.test(ok), ok).toBe(false);
    }
  });

  it("services and reconcilers get decoded records: no JSON columns parsed, no 0/1 booleans", () => {
    // The repositories decode and check stored JSON and integer booleans (store/stored-json.ts).
    const raw = /JSON\.parse\(|\.(secret|admin|user_admin|redirect_https)\s*[!=]==\s*[01]\b|_json\b/;
    const inLayers = files.filter((f) => /^src\/(services|reconciler|api)\//.test(f.name));
    expect(inLayers.filter((f) => raw.test(f.text)).map((f) => f.name)).toEqual([]);
    for (const bad of ["JSON.parse(row.rules)", "r.secret === 1", "row.admin !== 0", "r.resources_json"])
      expect(raw.test(bad), bad).toBe(true);
    for (const ok of ["JSON.stringify(x)", "r.secret", "count === 1"]) expect(raw.test(ok), ok).toBe(false);
  });

  it("lets only the reconciler write status", () => {
    const writers = files.filter(
      (f) =>
        /\b(deploymentStatus|instanceStatus)\b|\breplicas\.(replace|recordProbe)\b/.test(f.text) &&
        !/^src\/(reconciler|store)\//.test(f.name),
    );
    expect(writers.map((f) => f.name)).toEqual([]);
    expect(
      files.some((f) => f.name.startsWith("src/reconciler/") && /\bdeploymentStatus\b/.test(f.text)),
    ).toBe(true);
  });

  it("keeps every file under 400 lines", () => {
    const long = files.filter((f) => f.text.split("\n").length > 400).map((f) => f.name);
    expect(long).toEqual([]);
  });
});
