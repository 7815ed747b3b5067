import { createWriteStream, renameSync } from "node:fs";
import { pipeline } from "node:stream/promises";
import type { Command } from "commander";
import { CliError } from "../cli-error.js";
import { clientFromConfig } from "../client-from-config.js";
import { printJson } from "../output.js";

const out = (line: string) => process.stdout.write(`${line}\n`);

export function registerAdminCommands(program: Command): void {
  const admin = program.command("admin").description("platform chores: key rotation, backups");

  admin
    .command("rotate-key")
    .description("add a new encryption key and re-seal every secret, release and TLS key under it")
    .option("--prune", "then drop old keys nothing is sealed with any more (keep them if old backups matter)")
    .option("--json", "print the API's JSON")
    .action(async (opts: { prune?: boolean; json?: boolean }) => {
      const r = await clientFromConfig().rotateKey(!!opts.prune);
      if (opts.json) return printJson(r);
      out(`New key ${r.keyId} now seals everything.`);
      out(
        `Re-sealed ${r.resealed.secrets} secret(s), ${r.resealed.releases} release(s), ${r.resealed.certificates} TLS key(s).`,
      );
      if (r.pruned.length > 0) out(`Dropped old key(s): ${r.pruned.join(", ")}`);
      out(
        `Keys in the ring: ${r.keys.join(", ")}. Back up the key ring now; the database alone cannot be read.`,
      );
    });

  admin
    .command("backup")
    .description(
      "download a consistent copy of the database (secrets stay sealed; back up the key ring apart)",
    )
    .requiredOption("-o, --output <file>", "where to write it")
    .action(async (opts: { output: string }) => {
      const res = await clientFromConfig().backup();
      const tmp = `${opts.output}.partial`;
      try {
        await pipeline(res, createWriteStream(tmp, { mode: 0o600 }));
        renameSync(tmp, opts.output);
      } catch (error) {
        throw new CliError(`writing ${opts.output} failed: ${(error as Error).message}`);
      }
      out(`Wrote ${opts.output}`);
    });
}
