import { writeFileSync } from "node:fs";
import type { Command } from "commander";
import type { ApiClient } from "../api-client.js";
import { tenantOf } from "../cli-config.js";
import { CliError } from "../cli-error.js";
import { clientFromConfig } from "../client-from-config.js";
import { printJson } from "../output.js";
import { waitForRollout } from "../wait-for-rollout.js";

const out = (line: string) => process.stdout.write(`${line}\n`);

type Manifest = Parameters<ApiClient["apply"]>[0];
type ApplyResult = Awaited<ReturnType<ApiClient["apply"]>>;

/** Sends a manifest, names the file and line of anything the server refuses, prints the plan, follows rollouts. */
export async function applyManifest(
  client: ApiClient,
  manifest: Manifest,
  where: (path: readonly (string | number)[] | string) => string,
  opts: { dryRun: boolean; wait: boolean; json?: boolean },
): Promise<ApplyResult> {
  let result: ApplyResult;
  try {
    result = await client.apply(manifest, opts.dryRun);
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    const strip = (p: readonly (string | number)[]) => (p[0] === "manifest" ? p.slice(1) : p);
    if (error.issues && error.issues.length > 0)
      throw new CliError(
        error.issues
          .map((i) => `${where(strip(i.path))}: ${strip(i.path).join(".") || "(top)"}: ${i.message}`)
          .join("\n"),
      );
    if (error.field) throw new CliError(`${where(error.field.replace(/^manifest\./, ""))}: ${error.message}`);
    throw error;
  }
  if (opts.json) {
    printJson(result);
    return result;
  }
  out(opts.dryRun ? "Plan (dry run, nothing changed):" : "Applied:");
  if (result.steps.length === 0) out("  nothing to change");
  for (const s of result.steps) out(`  ${s.action.padEnd(20)} ${s.target}${s.detail ? `  ${s.detail}` : ""}`);
  for (const n of result.notes) out(`Note: ${n}`);
  if (!opts.dryRun && opts.wait)
    for (const r of result.releases) {
      await waitForRollout(
        client,
        { tenant: manifest.tenant, env: r.env, app: r.app },
        r.release,
        r.eventCursor,
        out,
      );
      out(`${r.app} release ${r.release} is live in ${r.env}`);
    }
  return result;
}

export function registerManifestCommands(program: Command): void {
  program
    .command("apply")
    .description(
      "make a tenant match a berth.yaml: apps, config, secrets, files, resources, routes, canaries",
    )
    .requiredOption("-f, --file <file>", "the manifest (see 'berth export' and docs/manifest.md)")
    .option("--dry-run", "print what would change and change nothing")
    .option("--no-wait", "return once the releases are created")
    .option("--json", "print the API's JSON")
    .action(async (opts: { file: string; dryRun?: boolean; wait: boolean; json?: boolean }) => {
      // yaml loads only for the commands that read or write it.
      const { loadManifest } = await import("../manifest-file.js");
      const loaded = loadManifest(opts.file);
      await applyManifest(clientFromConfig(), loaded.manifest, loaded.where, {
        dryRun: !!opts.dryRun,
        wait: opts.wait,
        json: opts.json,
      });
    });

  program
    .command("export")
    .description(
      "write a tenant as berth.yaml (secrets as 'keep', never their values); apply(export) changes nothing",
    )
    .option("--tenant <tenant>", "tenant")
    .option("--env <env>", "only this environment's overrides, images and routes")
    .option("-o, --output <file>", "write to a file instead of standard output")
    .action(async (opts: { tenant?: string; env?: string; output?: string }) => {
      const manifest = await clientFromConfig().exportManifest(tenantOf(opts.tenant), opts.env);
      const { stringify } = await import("yaml");
      const text = `# berth.yaml: exported ${new Date().toISOString()}; apply with 'berth apply -f FILE'\n${stringify(manifest, { lineWidth: 0 })}`;
      if (opts.output) writeFileSync(opts.output, text);
      else process.stdout.write(text);
    });
}
