import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, normalize } from "node:path";
import { promisify } from "node:util";
import { CliError } from "./cli-error.js";

const run = promisify(execFile);

/** https://, ssh://, git://, file:// URLs, scp-like user@host:path, or an absolute path. */
const GIT_URL =
  /^(https?:\/\/|ssh:\/\/|git:\/\/|file:\/\/)[\x21-\x7e]+$|^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[\x21-\x7e]+$|^\/[\x21-\x7e]*$/;
/** A tag or branch: no leading '-' (it would read as an option), no '..', printable only. */
const GIT_REF = /^(?!-)(?!.*\.\.)[A-Za-z0-9._/-]{1,200}$/;

/**
 * A module taken from git at one tag or branch: a shallow clone into a temporary folder, with
 * git from Debian, run with an argument array (`--` before the URL, so nothing is an option).
 * The source recorded in the catalog names the URL, the ref and the commit.
 */
export async function cloneModule(
  url: string,
  ref: string | undefined,
  subdir: string | undefined,
): Promise<{ dir: string; source: string; cleanup: () => void }> {
  if (!GIT_URL.test(url) || url.length > 250)
    throw new CliError(
      `--git ${url}: expected an https://, ssh://, git://, file:// URL, user@host:path or an absolute path`,
    );
  // The URL is recorded in the catalog every tenant reads: credentials go through git's own helpers.
  if (/^[a-z]+:\/\/[^/]*@/.test(url))
    throw new CliError(
      `--git: the URL holds credentials (user@ or user:token@); use a git credential helper or an SSH key instead`,
    );
  if (ref === undefined) throw new CliError("--git needs --ref TAG: a module is added at one version");
  if (!GIT_REF.test(ref)) throw new CliError(`--ref ${ref}: expected a tag or branch name`);
  const inside = subdir === undefined ? "" : normalize(subdir).replace(/^\/+/, "");
  if (inside.startsWith("..")) throw new CliError(`--path ${subdir}: must stay inside the repository`);
  const root = mkdtempSync(join(tmpdir(), "berth-module-"));
  const cleanup = () => rmSync(root, { recursive: true, force: true });
  try {
    await run("git", ["clone", "--quiet", "--depth", "1", "--branch", ref, "--", url, join(root, "repo")], {
      env: { ...process.env, GIT_TERMINAL_PROMPT: "0" },
    });
    const { stdout } = await run("git", ["-C", join(root, "repo"), "rev-parse", "HEAD"]);
    return {
      dir: join(root, "repo", inside),
      source: `git ${url} ${ref} ${stdout.trim().slice(0, 12)}`,
      cleanup,
    };
  } catch (error) {
    cleanup();
    const stderr = (error as { stderr?: string }).stderr?.trim().split("\n").pop();
    throw new CliError(`git clone of ${url} at ${ref} failed: ${stderr ?? (error as Error).message}`);
  }
}
