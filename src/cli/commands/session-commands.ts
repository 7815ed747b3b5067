import { type Command, Option } from "commander";
import { ApiClient } from "../api-client.js";
import { ask, askPassword } from "../ask.js";
import { configFile, loadConfig, saveConfig } from "../cli-config.js";
import { CliError } from "../cli-error.js";
import { parseTtlSeconds, ttlOf } from "../parse-units.js";

export function registerSessionCommands(program: Command): void {
  program
    .command("login")
    .description(
      "sign in with a user name and password (or check a token), then save them in ~/.config/berth",
    )
    .argument("<url>", "Berth server URL, e.g. http://127.0.0.1:7070")
    .option("--user <name>", "user name (asked for when not given)")
    .option("--password-stdin", "read the password from standard input instead of asking")
    .option(
      "--token <token>",
      "use this API token instead of a password (the admin token is in DATA_DIR/admin-token)",
    )
    .addOption(
      new Option("--expires <lifetime>", "how long the session token lives: 90m, 12h, 30d or never")
        .argParser(parseTtlSeconds)
        .default(undefined, "30d"),
    )
    .action(
      async (
        url: string,
        opts: { user?: string; passwordStdin?: boolean; token?: string; expires?: number | "never" },
      ) => {
        if (!/^https?:\/\/[^\s/]+\/?$/.test(url))
          throw new CliError(`'${url}' is not a server URL such as http://127.0.0.1:7070`);
        const base = url.replace(/\/+$/, "");
        let token = opts.token;
        if (token === undefined) {
          const user = opts.user ?? (await ask("User: "));
          const password = await askPassword({ stdin: opts.passwordStdin });
          token = (await new ApiClient(base, "").login(user, password, ttlOf(opts.expires))).token;
        } else if (opts.user || opts.passwordStdin) {
          throw new CliError("give either --token or a user and password, not both");
        }
        const me = await new ApiClient(base, token).whoami();
        saveConfig({ url: base, token });
        const until = me.token.expiresAt
          ? ` until ${me.token.expiresAt.slice(0, 16).replace("T", " ")} UTC`
          : "";
        process.stdout.write(`Logged in to ${base} as ${me.user}${until}; saved in ${configFile()}\n`);
      },
    );

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
