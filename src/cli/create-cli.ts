import { Command } from "commander";
import { registerAdminCommands } from "./commands/admin-commands.js";
import { registerAppCommands } from "./commands/app-commands.js";
import { registerAuditCommands } from "./commands/audit-commands.js";
import { registerBlueGreenCommands } from "./commands/blue-green-commands.js";
import { registerBurstCommands } from "./commands/burst-commands.js";
import { registerCanaryCommands } from "./commands/canary-commands.js";
import { registerCatalogCommands } from "./commands/catalog-commands.js";
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
import { registerServiceCommands } from "./commands/service-commands.js";
import { registerSessionCommands } from "./commands/session-commands.js";
import { registerTenantCommands } from "./commands/tenant-commands.js";
import type { LocalTools } from "./local-tools.js";

export type { LocalTools } from "./local-tools.js";

interface CommandGroup {
  names: readonly string[];
  register: (program: Command, local: LocalTools) => void;
}

/**
 * The command groups, in --help order, with the top-level commands each adds. `berth whoami`
 * registers only the group that has whoami: defining all ~120 commands and their options would
 * cost every command's start-up time (test/unit/cli-command-groups.test.ts keeps the names true).
 */
export const COMMAND_GROUPS: readonly CommandGroup[] = [
  { names: ["login", "use"], register: registerSessionCommands },
  { names: ["whoami", "user", "token", "member"], register: registerIdentityCommands },
  { names: ["quota"], register: registerQuotaCommands },
  { names: ["policy"], register: registerPolicyCommands },
  { names: ["link"], register: registerLinkCommands },
  { names: ["cluster", "node"], register: registerClusterCommands },
  { names: ["burst"], register: registerBurstCommands },
  { names: ["tenant", "env"], register: registerTenantCommands },
  { names: ["app"], register: registerAppCommands },
  { names: ["deploy", "redeploy", "promote", "rollback", "scale"], register: registerDeployCommands },
  { names: ["ps", "releases", "events", "logs", "url"], register: registerRuntimeCommands },
  { names: ["route", "tls"], register: registerRouteCommands },
  { names: ["canary"], register: registerCanaryCommands },
  { names: ["blue-green"], register: registerBlueGreenCommands },
  { names: ["config", "secret"], register: registerConfigCommands },
  { names: ["resources"], register: registerResourcesCommands },
  { names: ["apply", "export"], register: registerManifestCommands },
  { names: ["import"], register: registerImportCommands },
  { names: ["catalog", "module"], register: registerCatalogCommands },
  { names: ["service", "bind", "unbind", "binding", "bindings"], register: registerServiceCommands },
  { names: ["audit"], register: registerAuditCommands },
  { names: ["admin"], register: registerAdminCommands },
];

/**
 * What `berth ARGS...` needs defined: the group that has its command (or `server`); nothing for
 * `berth --version`; everything for the rest (`berth`, `--help`, `help`, a mistyped command
 * that gets suggestions).
 */
export function commandsFor(args: readonly string[]): { server: boolean; groups: readonly CommandGroup[] } {
  const all = { server: true, groups: COMMAND_GROUPS };
  const at = args.findIndex((a) => !a.startsWith("-"));
  // Options before the command are the program's own: --version, or --help (which lists everything).
  const before = at === -1 ? args : args.slice(0, at);
  if (before.some((a) => a === "-h" || a === "--help")) return all;
  if (at === -1)
    return before.some((a) => a === "-V" || a === "--version") ? { server: false, groups: [] } : all;
  const command = args[at] as string;
  if (command === "server") return { server: true, groups: [] };
  const group = COMMAND_GROUPS.find((g) => g.names.includes(command));
  return group ? { server: false, groups: [group] } : all;
}

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
  healthPeriodSeconds: string;
  database?: string;
}

/**
 * The `berth` program for `args` (process.argv without node and the script; all commands when
 * omitted). `serve` and `local` are passed in so client commands never load the server's code.
 */
export function createCli(
  serve: (options: ServerCommandOptions) => Promise<void>,
  version: string,
  local: LocalTools,
  args?: readonly string[],
): Command {
  const program = new Command("berth")
    .description("Berth: ship containers to dev, test and prod on your own machines")
    .version(version)
    .showHelpAfterError("(run with --help for usage)");
  const wanted = args ? commandsFor(args) : { server: true, groups: COMMAND_GROUPS };

  if (wanted.server) registerServerCommand(program, serve);
  for (const group of wanted.groups) group.register(program, local);
  return program;
}

function registerServerCommand(
  program: Command,
  serve: (options: ServerCommandOptions) => Promise<void>,
): void {
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
      "--health-period-seconds <s>",
      "how often every running replica is probed; two failures in a row take it out of the router, and one unhealthy for three periods is replaced",
      "10",
    )
    .option(
      "--registry <ip:port>",
      "run the built-in registry here, at an address cluster nodes reach this host at (needed by clusters)",
    )
    .option(
      "--database <url>",
      "PostgreSQL URL, e.g. postgres://berth@127.0.0.1:5432/berth; default: SQLite in DATA_DIR/berth.db",
    )
    .action(serve);
}
