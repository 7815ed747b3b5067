import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { lintModule } from "../../../src/formats/lint-module.js";
import { MODULE_LIMITS } from "../../../src/formats/module-files.js";
import { readModuleFolder } from "../../../src/formats/read-module-folder.js";
import { CAPABILITIES } from "./module-fixture.js";

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "berth-module-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Writes a file into the folder, with exactly the given mode (umask aside). */
function put(path: string, data: string, mode = 0o644) {
  const full = join(dir, path);
  mkdirSync(join(full, ".."), { recursive: true });
  writeFileSync(full, data);
  chmodSync(full, mode);
}

describe("readModuleFolder", () => {
  it("reads every file with its path relative to the folder, '/'-separated, in name order", () => {
    put("capability.yaml", "id: x\n");
    put("images/server/Dockerfile", "FROM berth/debian:bookworm\n");
    put("images/server/hooks/start", "#!/bin/sh\n", 0o755);
    put("README.md", "# x\n");
    const files = readModuleFolder(dir);
    expect(files.map((f) => f.path)).toEqual([
      "capability.yaml",
      "images/server/Dockerfile",
      "images/server/hooks/start",
      "README.md",
    ]);
    expect(Buffer.from(files[0]?.data ?? []).toString()).toBe("id: x\n");
  });

  it("keeps each file's mode: 0o755 scripts stay executable", () => {
    put("hooks/start", "#!/bin/sh\n", 0o755);
    put("hooks/lib.sh", "x=1\n", 0o644);
    put("hooks/private", "k\n", 0o600);
    const modes = Object.fromEntries(readModuleFolder(dir).map((f) => [f.path, f.mode]));
    expect(modes).toEqual({ "hooks/lib.sh": 0o644, "hooks/private": 0o600, "hooks/start": 0o755 });
  });

  it("keeps only the permission bits of the mode", () => {
    put("hooks/start", "#!/bin/sh\n", 0o755);
    const [f] = readModuleFolder(dir);
    expect(f?.mode).toBe(0o755);
    expect((f?.mode ?? 0) & ~0o777).toBe(0);
  });

  it("refuses a symbolic link to a file, naming it", () => {
    put("capability.yaml", "id: x\n");
    mkdirSync(join(dir, "images"));
    symlinkSync("/etc/passwd", join(dir, "images/passwd"));
    expect(() => readModuleFolder(dir)).toThrow(
      "images/passwd is a symbolic link; a module folder holds only files",
    );
  });

  it("refuses a symbolic link to a folder (it is not walked into)", () => {
    put("capability.yaml", "id: x\n");
    symlinkSync(tmpdir(), join(dir, "elsewhere"));
    expect(() => readModuleFolder(dir)).toThrow(/elsewhere is a symbolic link/);
  });

  it("refuses a dangling symbolic link", () => {
    symlinkSync(join(dir, "nothing-here"), join(dir, "dangling"));
    expect(() => readModuleFolder(dir)).toThrow(/dangling is a symbolic link/);
  });

  it("leaves out dot-folders such as .git, and what is in them", () => {
    put("capability.yaml", "id: x\n");
    put(".git/config", "[core]\n");
    put(".git/objects/ab/cdef", "blob");
    put("images/server/.cache/big", "x");
    put("images/server/Dockerfile", "FROM berth/debian:bookworm\n");
    expect(readModuleFolder(dir).map((f) => f.path)).toEqual(["capability.yaml", "images/server/Dockerfile"]);
  });

  it("does not look into dot-folders at all (a symbolic link in .git is no matter)", () => {
    put("capability.yaml", "id: x\n");
    mkdirSync(join(dir, ".git"));
    symlinkSync("/etc/passwd", join(dir, ".git/link"));
    expect(readModuleFolder(dir).map((f) => f.path)).toEqual(["capability.yaml"]);
  });

  it("keeps dot-files (e.g. .dockerignore); only dot-folders are left out", () => {
    put("images/server/.dockerignore", "*.tmp\n");
    expect(readModuleFolder(dir).map((f) => f.path)).toEqual(["images/server/.dockerignore"]);
  });

  it("an empty folder is no files", () => {
    expect(readModuleFolder(dir)).toEqual([]);
  });

  it(`refuses a folder of more than ${MODULE_LIMITS.files} files, and takes exactly that many`, () => {
    for (let i = 0; i < MODULE_LIMITS.files; i++) put(`f/${String(i).padStart(3, "0")}`, "");
    expect(readModuleFolder(dir)).toHaveLength(MODULE_LIMITS.files);
    put("f/one-more", "");
    expect(() => readModuleFolder(dir)).toThrow(/larger than 500 files/);
  });

  it(`refuses a folder of more than ${MODULE_LIMITS.bytes} bytes, and takes exactly that many`, () => {
    writeFileSync(join(dir, "blob"), Buffer.alloc(MODULE_LIMITS.bytes));
    expect(readModuleFolder(dir)[0]?.data.byteLength).toBe(MODULE_LIMITS.bytes);
    writeFileSync(join(dir, "byte"), "x");
    expect(() => readModuleFolder(dir)).toThrow(/or 8388608 bytes/);
  });

  it("reads the shipped Redis module: hooks 0o755, the rest 0o644, and it lints clean", () => {
    const files = readModuleFolder(join(CAPABILITIES, "redis"));
    const modes = Object.fromEntries(files.map((f) => [f.path, f.mode]));
    expect(modes["capability.yaml"]).toBe(0o644);
    expect(modes["images/server/Dockerfile"]).toBe(0o644);
    expect(modes["images/server/hooks/bind"]).toBe(0o755);
    expect(modes["images/server/hooks/start"]).toBe(0o755);
    expect(lintModule(files).problems).toEqual([]);
  });
});
