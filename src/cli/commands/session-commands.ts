import type { Command } from "commander";
import { ApiClient } from "../api-client.js";
import { configFile, loadConfig, saveConfig } from "../cli-config.js";
import { CliError } from "../cli-error.js";

export function registerSessionCommands(program: Command): void {
  program
    .command("login")
    .description("check a server URL and token, then save them in ~/.config/berth")
    .argument("<url>", "Berth server URL, e.g. http://127.0.0.1:7070")
    .requiredOption("--token <token>", "API token (the admin token is in DATA_DIR/admin-token)")
    .action(async (url: string, opts: { token: string }) => {
      if (!/^https?:\/\/[^\s/]+\/?$/.test(url))
        throw new CliError(`'${url}' is not a server URL such as http://127.0.0.1:7070`);
      const client = new ApiClient(url.replace(/\/+$/, ""), opts.token);
      await client.listTenants();
      saveConfig({ url: client.baseUrl, token: opts.token });
      process.stdout.write(`Logged in to ${client.baseUrl}; saved in ${configFile()}\n`);
    });

  program
    .command("use")
    .description("set the default tenant and environment for later commands")
    .option("--tenant <tenant>", "default tenant")
    .option("--env <env>", "default environment")
    .action((opts: { tenant?: string; env?: string }) => {
      if (!opts.tenant && !opts.env) throw new CliError("give --tenant and/or --env");
      saveConfig({ ...(opts.tenant ? { tenant: opts.tenant } : {}), ...(opts.env ? { env: opts.env } : {}) });
      const c = loadConfig();
      process.stdout.write(`Using tenant ${c.tenant ?? "-"}, environment ${c.env ?? "-"}\n`);
    });
}
