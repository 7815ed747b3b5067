import type { Command } from "commander";
import { envOf, tenantOf } from "../cli-config.js";
import { clientFromConfig } from "../client-from-config.js";
import { printJson } from "../output.js";
import { parseIntOption } from "../parse-int.js";

const out = (line: string) => process.stdout.write(`${line}\n`);

interface Where {
  env?: string;
  tenant?: string;
}

export function registerBurstCommands(program: Command): void {
  const burst = program
    .command("burst")
    .description("hybrid-cloud burst: replicas prefer one node pool and overflow to another when it is full");
  burst
    .command("set <app>")
    .description("e.g. --prefer cloud=private --overflow cloud=public --max-overflow 10")
    .requiredOption("--prefer <label>", "node label KEY=VALUE of the pool replicas prefer")
    .requiredOption("--overflow <label>", "node label KEY=VALUE of the pool that takes what does not fit")
    .option(
      "--max-overflow <n>",
      "at most N replicas in the overflow pool (default 10)",
      parseIntOption(1, 100),
    )
    .option("--env <env>", "environment (on a cluster)")
    .option("--tenant <tenant>", "tenant")
    .action(async (app: string, o: Where & { prefer: string; overflow: string; maxOverflow?: number }) => {
      const b = await clientFromConfig().setBurst(tenantOf(o.tenant), envOf(o.env), app, {
        prefer: o.prefer,
        overflow: o.overflow,
        ...(o.maxOverflow ? { maxOverflow: o.maxOverflow } : {}),
      });
      out(
        `${app} prefers ${b.prefer} nodes; up to ${b.maxOverflow} replica(s) overflow to ${b.overflow} nodes`,
      );
    });
  burst
    .command("show <app>")
    .option("--env <env>", "environment")
    .option("--tenant <tenant>", "tenant")
    .option("--json", "print the API's JSON")
    .action(async (app: string, o: Where & { json?: boolean }) => {
      const b = await clientFromConfig().burst(tenantOf(o.tenant), envOf(o.env), app);
      if (o.json) return printJson(b);
      out(`prefer ${b.prefer}, overflow ${b.overflow}, at most ${b.maxOverflow} there`);
    });
  burst
    .command("clear <app>")
    .description("stop bursting (replicas already in the overflow pool stay where Swarm put them)")
    .option("--env <env>", "environment")
    .option("--tenant <tenant>", "tenant")
    .action(async (app: string, o: Where) => {
      await clientFromConfig().clearBurst(tenantOf(o.tenant), envOf(o.env), app);
      out(`${app} no longer bursts`);
    });
}
