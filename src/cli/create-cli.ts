import { Command } from "commander";
import { registerAdminCommands } from "./commands/admin-commands.js";
import { registerAppCommands } from "./commands/app-commands.js";
import { registerBlueGreenCommands } from "./commands/blue-green-commands.js";
import { registerBurstCommands } from "./commands/burst-commands.js";
import { registerCanaryCommands } from "./commands/canary-commands.js";
import { registerClusterCommands } from "./commands/cluster-commands.js";
import { registerConfigCommands } from "./commands/config-commands.js";
import { registerDeployCommands } from "./commands/deploy-commands.js";
import { registerIdentityCommands } from "./commands/identity-commands.js";
import { registerImportCommands } from "./commands/import-commands.js";
import { registerLinkCommands } from "./commands/link-commands.js";
import { registerManifestCommands } from "./commands/manifest-commands.js";
import { registerPolicyCommands } from "./commands/policy-commands.js";
import { registerQuotaCommands } from "./commands/quota-commands.js";
import { registerResourcesCommands } from "./commands/resources-commands.js";
import { registerRouteCommands } from "./commands/route-commands.js";
import { registerRuntimeCommands } from "./commands/runtime-commands.js";
import { registerSessionCommands } from "./commands/session-commands.js";
import { registerTenantCommands } from "./commands/tenant-commands.js";

export interface ServerCommandOptions {
  dataDir: string;
  keyring?: string;
  listen: string;
  routerHost: string;
  registry?: string;
  routerPort: string;
  routerHttpsPort: string;
  trustedProxy: string[];
  domain: string;
  drainMs: string;
  resyncSeconds: string;
}

/** The `berth` program. `serve` is passed in so client commands never load the server's code. */
export function createCli(serve: (options: ServerCommandOptions) => Promise<void>, version: string): Command {
  const program = new Command("berth")
    .description("Berth: ship containers to dev, test and prod on your own machines")
    .version(version)
    .showHelpAfterError("(run with --help for usage)");

  program
    .command("server")
    .description("run the Berth API server, reconciler and router (foreground)")
    .option("--data-dir <dir>", "where the database, admin token and router state live", "/var/lib/berth")
    .option(
      "--keyring <file>",
      "the keys that encrypt secrets at rest (default DATA_DIR/keyring; keep a backup apart from the database)",
    )
    .option("--listen <host:port>", "API address", "127.0.0.1:7070")
    .option("--router-host <ip>", "address the router listens on", "0.0.0.0")
    .option("--router-port <port>", "port the router listens on", "8080")
    .option("--router-https-port <port>", "port the router serves HTTPS on, for routes with TLS", "8443")
    .option(
      "--trusted-proxy <cidr>",
      "a proxy in front of the router whose X-Forwarded-For is believed (repeatable)",
      (value: string, all: string[]) => [...all, value],
      [] as string[],
    )
    .option("--domain <domain>", "apps are served at APP.ENV.TENANT.DOMAIN", "localhost")
    .option("--drain-ms <ms>", "how long old containers keep running after traffic moved away", "2000")
    .option("--resync-seconds <s>", "full reconcile period (engine events trigger passes in between)", "60")
    .option(
      "--registry <ip:port>",
      "run the built-in registry here, at an address cluster nodes reach this host at (needed by clusters)",
    )
    .action(serve);

  registerSessionCommands(program);
  registerIdentityCommands(program);
  registerQuotaCommands(program);
  registerPolicyCommands(program);
  registerLinkCommands(program);
  registerClusterCommands(program);
  registerBurstCommands(program);
  registerTenantCommands(program);
  registerAppCommands(program);
  registerDeployCommands(program);
  registerRuntimeCommands(program);
  registerRouteCommands(program);
  registerCanaryCommands(program);
  registerBlueGreenCommands(program);
  registerConfigCommands(program);
  registerResourcesCommands(program);
  registerManifestCommands(program);
  registerImportCommands(program);
  registerAdminCommands(program);
  return program;
}
