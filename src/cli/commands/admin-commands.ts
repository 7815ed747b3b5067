import { createWriteStream, renameSync } from "node:fs";
import { pipeline } from "node:stream/promises";
import { type Command, InvalidArgumentError } from "commander";
import { CliError } from "../cli-error.js";
import { clientFromConfig } from "../client-from-config.js";
import { printJson, printTable } from "../output.js";
import { parseIntOption } from "../parse-int.js";

const out = (line: string) => process.stdout.write(`${line}\n`);

export function registerAdminCommands(program: Command): void {
  program
    .command("audit")
    .description("who did what, when, from where, with what result (every mutating API call)")
    .option("--tenant <tenant>", "only calls on this tenant")
    .option("--since <duration>", "only the last 30m, 1h, 7d ...", parseSince)
    .option("--limit <n>", "at most this many, the newest", parseIntOption(1, 10_000), 1000)
    .option("--json", "print the API's JSON")
    .action(async (opts: { tenant?: string; since?: string; limit: number; json?: boolean }) => {
      const entries = await clientFromConfig().audit({
        tenant: opts.tenant,
        since: opts.since,
        limit: opts.limit,
      });
      if (opts.json) return printJson(entries);
      printTable(
        ["TIME", "ACTOR", "TOKEN", "TENANT", "ACTION", "TARGET", "RESULT", "SOURCE", "DETAIL"],
        entries.map((e) => [
          e.at.replace("T", " ").slice(0, 19),
          e.actor,
          e.tokenId,
          e.tenant,
          e.action,
          e.target,
          e.result,
          e.source,
          e.detail,
        ]),
      );
    });

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

/** "30m", "1h", "7d" → the ISO time that long ago. */
function parseSince(value: string): string {
  const m = /^(\d{1,6})(m|h|d)$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError("expected a duration such as 30m, 1h or 7d");
  const minutes = Number(m[1]) * (m[2] === "d" ? 1440 : m[2] === "h" ? 60 : 1);
  return new Date(Date.now() - minutes * 60_000).toISOString();
}
