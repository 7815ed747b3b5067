import { type Command, InvalidArgumentError } from "commander";
import { envOf, tenantOf } from "../cli-config.js";
import { clientFromConfig } from "../client-from-config.js";
import { ago, printJson, printTable } from "../output.js";
import { parseIntOption } from "../parse-int.js";

const out = (line: string) => process.stdout.write(`${line}\n`);

/** "prod/api" (this tenant) or "shared/prod/db". */
function parseTarget(value: string): { tenant?: string; env: string; app: string } {
  const parts = value.split("/");
  if (parts.length === 2) return { env: parts[0] as string, app: parts[1] as string };
  if (parts.length === 3) return { tenant: parts[0], env: parts[1] as string, app: parts[2] as string };
  throw new InvalidArgumentError("expected ENV/APP or TENANT/ENV/APP, e.g. prod/api or shared/prod/db");
}

export function registerLinkCommands(program: Command): void {
  const link = program
    .command("link")
    .description("explicit network links: tenants and environments cannot reach each other otherwise");
  link
    .command("add <app>")
    .description("let APP (in --env) reach another app by the name TARGET_APP.TARGET_ENV.TARGET_TENANT")
    .requiredOption("--to <target>", "ENV/APP of this tenant, or TENANT/ENV/APP", parseTarget)
    .option("--env <env>", "environment of APP")
    .option("--tenant <tenant>", "tenant of APP")
    .action(
      async (app: string, opts: { to: ReturnType<typeof parseTarget>; env?: string; tenant?: string }) => {
        const l = await clientFromConfig().addLink(tenantOf(opts.tenant), envOf(opts.env), app, opts.to);
        out(
          `Linked ${l.from.tenant}/${l.from.env}/${l.from.app} → ${l.to.tenant}/${l.to.env}/${l.to.app} (link ${l.id}); it reaches it as ${l.alias}`,
        );
      },
    );
  link
    .command("list <app>")
    .option("--env <env>", "environment")
    .option("--tenant <tenant>", "tenant")
    .option("--json", "print the API's JSON")
    .action(async (app: string, opts: { env?: string; tenant?: string; json?: boolean }) => {
      const links = await clientFromConfig().listLinks(tenantOf(opts.tenant), envOf(opts.env), app);
      if (opts.json) return printJson(links);
      printTable(
        ["ID", "FROM", "TO", "ALIAS", "BY", "CREATED"],
        links.map((l) => [
          l.id,
          `${l.from.tenant}/${l.from.env}/${l.from.app}`,
          `${l.to.tenant}/${l.to.env}/${l.to.app}`,
          l.alias,
          l.createdBy,
          ago(l.createdAt),
        ]),
      );
    });
  link
    .command("remove <app>")
    .description("cut a link (either end may)")
    .argument("<id>", "the link's id (berth link list)", parseIntOption(1, Number.MAX_SAFE_INTEGER))
    .option("--env <env>", "environment")
    .option("--tenant <tenant>", "tenant")
    .action(async (app: string, id: number, opts: { env?: string; tenant?: string }) => {
      await clientFromConfig().removeLink(tenantOf(opts.tenant), envOf(opts.env), app, id);
      out(`Cut link ${id}`);
    });
}
