import type { Command } from "commander";
import { tenantOf } from "../cli-config.js";
import { clientFromConfig } from "../client-from-config.js";
import { ago, printJson, printTable } from "../output.js";

export function registerAppCommands(program: Command): void {
  const app = program.command("app").description("manage apps of a tenant");
  app
    .command("create <name>")
    .option("--tenant <tenant>", "tenant")
    .action(async (name: string, opts: { tenant?: string }) => {
      const t = tenantOf(opts.tenant);
      await clientFromConfig().createApp(t, name);
      process.stdout.write(`Created app ${name} in tenant ${t}\n`);
    });
  app
    .command("list")
    .option("--tenant <tenant>", "tenant")
    .option("--json", "print the API's JSON")
    .action(async (opts: { tenant?: string; json?: boolean }) => {
      const apps = await clientFromConfig().listApps(tenantOf(opts.tenant));
      if (opts.json) return printJson(apps);
      printTable(
        ["NAME", "CREATED"],
        apps.map((a) => [a.name, ago(a.createdAt)]),
      );
    });
  app
    .command("info <name>")
    .option("--tenant <tenant>", "tenant")
    .option("--json", "print the API's JSON")
    .action(async (name: string, opts: { tenant?: string; json?: boolean }) => {
      const info = await clientFromConfig().appInfo(tenantOf(opts.tenant), name);
      if (opts.json) return printJson(info);
      process.stdout.write(`App ${info.name} (tenant ${info.tenant}, created ${ago(info.createdAt)})\n`);
      if (info.deployments.length === 0) return void process.stdout.write("Not deployed anywhere yet.\n");
      printTable(
        ["ENV", "RELEASE", "SERVING", "READY", "PHASE", "URL", "MESSAGE"],
        info.deployments.map((d) => [
          d.env,
          d.release,
          d.servingRelease,
          // Answering replicas of all the engine runs, against the spec's count.
          `${d.readyReplicas}/${d.replicas}${d.totalReplicas > d.replicas ? ` (${d.totalReplicas} running)` : ""}`,
          d.phase,
          d.url,
          d.message,
        ]),
      );
      for (const d of info.deployments)
        if (d.lastFailure)
          process.stdout.write(
            `${d.env}: release ${d.lastFailure.release} failed ${ago(d.lastFailure.at)}: ${d.lastFailure.reason}\n`,
          );
    });
  app
    .command("delete <name>")
    .option("--tenant <tenant>", "tenant")
    .action(async (name: string, opts: { tenant?: string }) => {
      const t = tenantOf(opts.tenant);
      await clientFromConfig().deleteApp(t, name);
      process.stdout.write(`Deleted app ${name}; its containers are being drained and removed\n`);
    });
}
