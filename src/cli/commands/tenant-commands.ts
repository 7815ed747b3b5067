import { type Command, Option } from "commander";
import { tenantOf } from "../cli-config.js";
import { clientFromConfig } from "../client-from-config.js";
import { ago, printJson, printTable } from "../output.js";

export function registerTenantCommands(program: Command): void {
  const tenant = program.command("tenant").description("manage tenants (teams or customers)");
  tenant
    .command("create <name>")
    .description("create a tenant (platform admins)")
    .option("--owner <user>", "make this user its first owner")
    .action(async (name: string, opts: { owner?: string }) => {
      await clientFromConfig().createTenant(name, opts.owner);
      process.stdout.write(`Created tenant ${name}${opts.owner ? ` owned by ${opts.owner}` : ""}\n`);
    });
  tenant
    .command("list")
    .option("--json", "print the API's JSON")
    .action(async (opts: { json?: boolean }) => {
      const tenants = await clientFromConfig().listTenants();
      if (opts.json) return printJson(tenants);
      printTable(
        ["NAME", "CREATED"],
        tenants.map((t) => [t.name, ago(t.createdAt)]),
      );
    });
  tenant.command("delete <name>").action(async (name: string) => {
    await clientFromConfig().deleteTenant(name);
    process.stdout.write(`Deleted tenant ${name}\n`);
  });

  const env = program.command("env").description("manage environments (dev, test, prod, ...) of a tenant");
  env
    .command("create <name>")
    .option("--tenant <tenant>", "tenant")
    .option(
      "--cluster <name>",
      "run it on this cluster (see 'berth cluster list'); default: the local engine",
    )
    .action(async (name: string, opts: { tenant?: string; cluster?: string }) => {
      const t = tenantOf(opts.tenant);
      await clientFromConfig().createEnv(t, name, opts.cluster);
      process.stdout.write(
        `Created environment ${name} in tenant ${t}${opts.cluster ? ` on cluster ${opts.cluster}` : ""}\n`,
      );
    });
  env
    .command("list")
    .option("--tenant <tenant>", "tenant")
    .option("--json", "print the API's JSON")
    .action(async (opts: { tenant?: string; json?: boolean }) => {
      const envs = await clientFromConfig().listEnvs(tenantOf(opts.tenant));
      if (opts.json) return printJson(envs);
      printTable(
        ["NAME", "PROTECTED", "CLUSTER", "CREATED"],
        envs.map((e) => [
          e.name,
          e.protectedFor ? `${e.protectedFor}+` : "",
          e.cluster ?? "local",
          ago(e.createdAt),
        ]),
      );
    });
  env
    .command("protect <name>")
    .description("only this role and stronger may deploy, change config or read secrets there")
    .option("--tenant <tenant>", "tenant")
    .addOption(
      new Option("--min-role <role>", "the weakest role allowed")
        .choices(["maintainer", "owner"])
        .default("maintainer"),
    )
    .action(async (name: string, opts: { tenant?: string; minRole: "maintainer" | "owner" }) => {
      const t = tenantOf(opts.tenant);
      await clientFromConfig().protectEnv(t, name, opts.minRole);
      process.stdout.write(
        `Protected ${name} of tenant ${t}: ${opts.minRole} or stronger may deploy there\n`,
      );
    });
  env
    .command("unprotect <name>")
    .description("let developers deploy there again")
    .option("--tenant <tenant>", "tenant")
    .action(async (name: string, opts: { tenant?: string }) => {
      const t = tenantOf(opts.tenant);
      await clientFromConfig().unprotectEnv(t, name);
      process.stdout.write(`Unprotected ${name} of tenant ${t}\n`);
    });
  env
    .command("delete <name>")
    .option("--tenant <tenant>", "tenant")
    .action(async (name: string, opts: { tenant?: string }) => {
      const t = tenantOf(opts.tenant);
      await clientFromConfig().deleteEnv(t, name);
      process.stdout.write(`Deleted environment ${name} of tenant ${t}\n`);
    });
}
