import { CliError } from "./cli/cli-error.js";
import { createCli, type ServerCommandOptions } from "./cli/create-cli.js";
import { VERSION } from "./version.js";

/** Entry point of the `berth` binary. The server's code loads only for `berth server`. */
async function serve(raw: ServerCommandOptions): Promise<void> {
  const [{ startServer }, { ServerConfig }] = await Promise.all([
    import("./main.js"),
    import("./server-config.js"),
  ]);
  const parsed = ServerConfig.safeParse(raw);
  if (!parsed.success) throw new CliError(parsed.error.issues.map((i) => i.message).join("; "));
  const server = await startServer(parsed.data);
  const shutdown = () => {
    void server.stop().finally(() => process.exit(0));
  };
  process.once("SIGTERM", shutdown);
  process.once("SIGINT", shutdown);
}

createCli(serve, VERSION)
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`berth: ${message}\n`);
    process.exit(error instanceof CliError ? error.exitCode : 1);
  });
