import type { Command } from "commander";
import { CliError } from "../cli-error.js";
import { clientFromConfig } from "../client-from-config.js";
import { printJson, printTable } from "../output.js";
import { parseIntOption } from "../parse-int.js";
import { parseSince } from "./admin-commands.js";

const out = (line: string) => process.stdout.write(`${line}\n`);

/** The audit log: read it, stream it to a SIEM, and check its hash chain. */
export function registerAuditCommands(program: Command): void {
  const audit = program
    .command("audit")
    .description(
      "who did what, to which object, when, from where, with what result (every mutating API call)",
    )
    .option("--tenant <tenant>", "only calls on this tenant")
    .option("--env <env>", "only calls on objects in this environment")
    .option("--object <kind/name>", "only calls on this object, e.g. app/web (or a kind: app)")
    .option("--actor <user>", "only calls by this user")
    .option("--since <duration>", "only the last 30m, 1h, 7d ...", parseSince)
    .option("--limit <n>", "at most this many, the newest", parseIntOption(1, 10_000), 1000)
    .option("--json", "print the API's JSON")
    .action(
      async (opts: {
        tenant?: string;
        env?: string;
        object?: string;
        actor?: string;
        since?: string;
        limit: number;
        json?: boolean;
      }) => {
        const { json, ...q } = opts;
        const entries = await clientFromConfig().audit(q);
        if (json) return printJson(entries);
        printTable(
          ["TIME", "ACTOR", "TENANT", "ENV", "OBJECT", "ACTION", "RESULT", "SOURCE", "CHANGE"],
          entries.map((e) => [
            e.at.replace("T", " ").slice(0, 19),
            e.actor,
            e.tenant,
            e.env,
            e.object ? `${e.object.kind}/${e.object.name}` : null,
            e.action,
            e.result,
            e.source,
            [e.change, e.detail].filter(Boolean).join("; ") || null,
          ]),
        );
      },
    );

  audit
    .command("verify")
    .description("walk the hash chain of the whole log and name every row edited, inserted or deleted")
    .option("--head <hash>", "a head kept from an earlier verify: fail unless it is still a row's hash")
    .option("--json", "print the API's JSON")
    .action(async (opts: { head?: string; json?: boolean }) => {
      const report = await clientFromConfig().auditVerify(opts.head);
      if (opts.json) printJson(report);
      else {
        for (const p of report.problems) out(`${p.id === 0 ? "log" : `row ${p.id}`}: ${PROBLEM[p.problem]}`);
        out(
          report.ok
            ? `audit log intact: ${report.rows} row(s), head ${report.head}`
            : `audit log tampered with: ${report.problems.length} problem(s) in ${report.rows} row(s)`,
        );
      }
      if (!report.ok) process.exitCode = 2;
    });

  audit
    .command("export")
    .description("stream the log as JSON lines (oldest first, with each row's hash) for a SIEM")
    .option("--format <format>", "jsonl (one JSON object per line)", "jsonl")
    .option("--tenant <tenant>", "only calls on this tenant")
    .option("--since <duration>", "only the last 30m, 1h, 7d ...", parseSince)
    .action(async (opts: { format: string; tenant?: string; since?: string }) => {
      if (opts.format !== "jsonl") throw new CliError(`--format ${opts.format} is not known; use jsonl`);
      const res = await clientFromConfig().auditExport({ tenant: opts.tenant, since: opts.since });
      const { pipeline } = await import("../node-stream.js");
      await pipeline(res, process.stdout);
    });
}

const PROBLEM = {
  edited: "edited: its content no longer matches its hash",
  inserted: "inserted: it was not appended by Berth (the chain links past it)",
  "deleted-before": "rows before it were deleted: it does not link to the row before",
  "missing-at-end": "missing: the rows from here to the end were deleted (the chain's recorded head is gone)",
  "head-not-found":
    "the head you kept is no row's hash: the log was rewritten, or cut, up to the point you kept it",
} as const;
