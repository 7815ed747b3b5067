import { CliError } from "./cli/cli-error.js";
import { createCli, type LocalTools, type ServerCommandOptions } from "./cli/create-cli.js";
import { VERSION } from "./version.js";

/**
 * Entry point of the `berth` binary. The server's code loads only for `berth server`, the store's
 * only for the local commands (`admin migrate-store`).
 */
async function serve(raw: ServerCommandOptions): Promise<void> {
  const [{ startServer }, { ServerConfig }] = await Promise.all([
    import("./main.js"),
    import("./server-config.js"),
  ]);
  const parsed = ServerConfig.safeParse({ ...raw, trustedProxies: raw.trustedProxy });
  if (!parsed.success)
    throw new CliError(
      parsed.error.issues
        .map((i) => (i.path[0] === "trustedProxies" ? `--trusted-proxy ${i.message}` : i.message))
        .join("; "),
    );
  const server = await startServer(parsed.data);
  const shutdown = () => {
    void server.stop().finally(() => process.exit(0));
  };
  process.once("SIGTERM", shutdown);
  process.once("SIGINT", shutdown);
}

const local: LocalTools = {
  async migrateStore(sqliteFile, postgresUrl) {
    const { copySqliteToPostgres } = await import("./store/copy-store.js");
    return copySqliteToPostgres(sqliteFile, postgresUrl);
  },
};

// `berth ... | head` closes the pipe early; that is the reader's choice, not an error.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(0);
  throw error;
});

// Only the commands these arguments need are defined: a client command starts faster.
createCli(serve, VERSION, local, process.argv.slice(2))
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`berth: ${message}\n`);
    process.exit(error instanceof CliError ? error.exitCode : 1);
  });
