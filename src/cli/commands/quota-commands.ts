import { type Command, InvalidArgumentError } from "commander";
import type { QuotaReport, QuotaRequest } from "../../domain/quota.js";
import { tenantOf } from "../cli-config.js";
import { clientFromConfig } from "../client-from-config.js";
import { printJson, printTable } from "../output.js";
import { parseCpus, parseMemoryMb } from "../parse-units.js";

/** A limit, or "none" to remove it (kept as the word: commander turns a parsed null into ""). */
const orNone =
  <T>(parse: (v: string) => T) =>
  (value: string): T | "none" =>
    value === "none" ? "none" : parse(value);
const limit = <T>(v: T | "none" | undefined): T | null | undefined => (v === "none" ? null : v);
const count = (value: string) => {
  if (!/^\d{1,7}$/.test(value)) throw new InvalidArgumentError("expected a whole number, or none");
  return Number(value);
};

export function registerQuotaCommands(program: Command): void {
  const quota = program.command("quota").description("limits on what a tenant or environment may use");
  quota
    .command("set")
    .description(
      "set limits: the tenant's (platform admins) or, with --env, one environment's share (owners); 'none' removes one",
    )
    .option("--tenant <tenant>", "tenant")
    .option("--env <env>", "one environment of the tenant")
    .option("--cpus <cores>", "CPU cores summed over every container's limit", orNone(parseCpus))
    .option("--memory <size>", "memory summed over every container's limit, e.g. 16g", orNone(parseMemoryMb))
    .option("--replicas <n>", "containers, canaries included", orNone(count))
    .option("--apps <n>", "apps (with --env: apps deployed there)", orNone(count))
    .option("--json", "print the API's JSON")
    .action(
      async (opts: {
        tenant?: string;
        env?: string;
        cpus?: number | "none";
        memory?: number | "none";
        replicas?: number | "none";
        apps?: number | "none";
        json?: boolean;
      }) => {
        const req: QuotaRequest = {
          env: opts.env,
          cpus: limit(opts.cpus),
          memoryMb: limit(opts.memory),
          replicas: limit(opts.replicas),
          apps: limit(opts.apps),
        };
        if ([req.cpus, req.memoryMb, req.replicas, req.apps].every((v) => v === undefined))
          throw new InvalidArgumentError("give at least one of --cpus, --memory, --replicas, --apps");
        const report = await clientFromConfig().setQuota(tenantOf(opts.tenant), req);
        if (opts.json) return printJson(report);
        show(report);
      },
    );
  quota
    .command("show")
    .description("limits and current use, for the tenant and each environment")
    .option("--tenant <tenant>", "tenant")
    .option("--json", "print the API's JSON")
    .action(async (opts: { tenant?: string; json?: boolean }) => {
      const report = await clientFromConfig().quota(tenantOf(opts.tenant));
      if (opts.json) return printJson(report);
      show(report);
    });
}

function show(report: QuotaReport): void {
  const cell = (used: number, limit: number | null, unit = "") =>
    `${used}${unit} / ${limit === null ? "-" : `${limit}${unit}`}`;
  printTable(
    ["SCOPE", "CPUS", "MEMORY", "REPLICAS", "APPS", "WITHOUT LIMITS"],
    report.scopes.map((s) => [
      s.env === null ? `tenant ${report.tenant}` : `  ${s.env}`,
      cell(Math.round(s.usage.cpus * 1000) / 1000, s.limits.cpus),
      cell(s.usage.memoryMb, s.limits.memoryMb, "Mi"),
      cell(s.usage.replicas, s.limits.replicas),
      cell(s.usage.apps, s.limits.apps),
      [...new Set([...s.usage.noCpuLimit, ...s.usage.noMemoryLimit])].join(" ") || "",
    ]),
  );
}
