import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * No shell, anywhere in src/: processes are started only with execFile or spawn and an argument
 * array, without `shell: true`. A shell command string built from a user value is how PaaS
 * tools have shipped command injection; this makes the build fail before one can.
 */
const ROOT = resolve(import.meta.dirname, "../..");
const ALLOWED = new Set(["execFile", "spawn"]);

export function shellUses(source: string): string[] {
  const found: string[] = [];
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  for (const m of code.matchAll(/import\s+([^;]*?)\s+from\s+["'](node:)?child_process["']/g)) {
    const clause = (m[1] as string).trim();
    const named = /\{([^}]*)\}/.exec(clause)?.[1];
    // A default or namespace import hands over exec too.
    const outside = clause
      .replace(/\{[^}]*\}/, "")
      .replace(/,/g, "")
      .trim();
    if (outside !== "" && outside !== "type")
      found.push(`import ${clause} from child_process (only { execFile, spawn } may be imported)`);
    for (const part of (named ?? "").split(",")) {
      const name = part
        .trim()
        .replace(/^type\s+/, "")
        .split(/\s+as\s+/)[0] as string;
      if (name && !part.trim().startsWith("type ") && !ALLOWED.has(name))
        found.push(`imports ${name} from child_process`);
    }
  }
  if (/require\(\s*["'](node:)?child_process["']\s*\)/.test(code)) found.push("require('child_process')");
  if (/import\(\s*["'](node:)?child_process["']\s*\)/.test(code)) found.push("import('child_process')");
  if (/\bshell\s*:\s*(true|["'`])/.test(code)) found.push("a shell option");
  if (/\bexecSync\s*\(|\bspawnSync\s*\(|\bexecFileSync\s*\(/.test(code))
    found.push("a synchronous process call");
  return found;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return /\.(ts|tsx|js|mjs|cjs)$/.test(e.name) ? [p] : [];
  });
}

describe("no shell in src/", () => {
  it("starts processes only with execFile or spawn and an argument array", () => {
    const files = sources(join(ROOT, "src"));
    expect(files.length).toBeGreaterThan(100);
    const found = files.flatMap((f) =>
      shellUses(readFileSync(f, "utf8")).map((u) => `${relative(ROOT, f)}: ${u}`),
    );
    expect(found).toEqual([]);
  });

  it("catches each way a shell gets in (the check itself can fail)", () => {
    const bad = [
      'import { exec } from "node:child_process";',
      'import { execSync } from "child_process";',
      'import * as cp from "node:child_process";',
      'import cp from "node:child_process";',
      'import { execFile as run, exec as e } from "node:child_process";',
      'const cp = require("child_process");',
      'const cp = await import("node:child_process");',
      'execFile("sh", ["-c", x], { shell: true });',
      'spawn(cmd, { shell: "/bin/sh" });',
      'execFileSync("nginx", ["-t"]);',
    ];
    for (const line of bad) expect(shellUses(line), line).not.toEqual([]);
    const good = [
      'import { execFile } from "node:child_process";',
      'import { type ChildProcess, spawn } from "node:child_process";',
      'const m = /x/.exec("x");',
      "// exec(cmd) in a comment",
    ];
    for (const line of good) expect(shellUses(line), line).toEqual([]);
  });
});
