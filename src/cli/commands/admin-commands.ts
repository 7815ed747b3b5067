import { createWriteStream, renameSync } from "node:fs";
import { join, resolve } from "node:path";
import { type Command, InvalidArgumentError } from "commander";
import { CliError } from "../cli-error.js";
import { clientFromConfig } from "../client-from-config.js";
import type { LocalTools } from "../local-tools.js";
import { printJson, printTable } from "../output.js";
import { parseIntOption } from "../parse-int.js";
import { runningServerPid } from "../running-server.js";

const out = (line: string) => process.stdout.write(`${line}\n`);

export function registerAdminCommands(program: Command, local: LocalTools): void {
  const admin = program
    .command("admin")
    .description("platform chores: key rotation, backups, moving the store to PostgreSQL");

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
        const { pipeline } = await import("../node-stream.js");
        await pipeline(res, createWriteStream(tmp, { mode: 0o600 }));
        renameSync(tmp, opts.output);
      } catch (error) {
        throw new CliError(`writing ${opts.output} failed: ${(error as Error).message}`);
      }
      out(`Wrote ${opts.output}`);
    });

  admin
    .command("migrate-store")
    .description(
      "copy a stopped server's SQLite database into an empty PostgreSQL database (runs here, not through the API)",
    )
    .requiredOption("--to <url>", "the PostgreSQL database, e.g. postgres://berth@127.0.0.1:5432/berth")
    .option("--data-dir <dir>", "the stopped server's data dir (its berth.db is copied)", "/var/lib/berth")
    .action(async (opts: { to: string; dataDir: string }) => {
      // The message never quotes the URL: it may hold a password.
      if (!/^postgres(ql)?:\/\/[\x21-\x7e]+$/.test(opts.to) || opts.to.length > 2048)
        throw new CliError(
          "--to must be a postgres:// or postgresql:// URL of printable characters without spaces, e.g. postgres://berth@127.0.0.1:5432/berth",
        );
      const dataDir = resolve(opts.dataDir);
      const pid = runningServerPid(dataDir);
      if (pid !== undefined)
        throw new CliError(
          `a Berth server (pid ${pid}) runs on ${dataDir}: stop the server first, then copy`,
        );
      const copy = await local.migrateStore(join(dataDir, "berth.db"), opts.to);
      const width = Math.max(...copy.tables.map((t) => t.table.length));
      for (const t of copy.tables) out(`${t.table.padEnd(width)}  ${t.rows}`);
      const url = copy.to.endsWith(" (password hidden)") ? "URL" : copy.to;
      out(
        `copied ${copy.rows} rows in ${copy.tables.length} tables from ${copy.from} to ${copy.to}; start the server with --database ${url} --data-dir ${dataDir} (its key ring opens the secrets)`,
      );
    });
}

/** "30m", "1h", "7d" → the ISO time that long ago. */
export function parseSince(value: string): string {
  const m = /^(\d{1,6})(m|h|d)$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError("expected a duration such as 30m, 1h or 7d");
  const minutes = Number(m[1]) * (m[2] === "d" ? 1440 : m[2] === "h" ? 60 : 1);
  return new Date(Date.now() - minutes * 60_000).toISOString();
}
