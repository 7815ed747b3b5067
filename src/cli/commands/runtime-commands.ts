import type { Command } from "commander";
import { envOf, tenantOf } from "../cli-config.js";
import { clientFromConfig } from "../client-from-config.js";
import { ago, printJson, printTable } from "../output.js";
import { parseIntOption } from "../parse-int.js";

interface Where {
  env?: string;
  tenant?: string;
  json?: boolean;
}

const target = (app: string, opts: Where) => [tenantOf(opts.tenant), envOf(opts.env), app] as const;

export function registerRuntimeCommands(program: Command): void {
  const appCommand = (name: string, description: string) =>
    program
      .command(`${name} <app>`)
      .description(description)
      .option("--env <env>", "environment")
      .option("--tenant <tenant>", "tenant");

  appCommand("ps", "list the app's containers: id, release, state, health, port")
    .option("--json", "print the API's JSON")
    .action(async (app: string, opts: Where) => {
      const rows = await clientFromConfig().containers(...target(app, opts));
      if (opts.json) return printJson(rows);
      printTable(
        ["ID", "RELEASE", "REPLICA", "NODE", "STATE", "HEALTH", "PORT", "SERVING", "CREATED"],
        rows.map((r) => [
          r.id,
          r.release,
          r.slot,
          // Cluster replicas (CLUSTER/ID) have no node until Swarm places them.
          r.node ?? (r.id.includes("/") ? "-" : "local"),
          r.detail ? `${r.state} (${r.detail})` : r.state,
          r.health,
          r.hostPort ? `127.0.0.1:${r.hostPort}` : null,
          r.serving ? "yes" : "no",
          ago(r.createdAt),
        ]),
      );
    });

  appCommand("releases", "list the app's releases, newest first")
    .option("--json", "print the API's JSON")
    .action(async (app: string, opts: Where) => {
      const client = clientFromConfig();
      const [releases, deployment] = await Promise.all([
        client.releases(...target(app, opts)),
        client.deployment(...target(app, opts)).catch(() => undefined),
      ]);
      if (opts.json) return printJson(releases);
      printTable(
        ["RELEASE", "IMAGE", "IMAGE ID", "SOURCE", "CREATED", "CHANGES", ""],
        releases.map((r) => [
          r.number,
          r.image,
          r.imageId.slice(7, 19),
          r.rolledBackFrom
            ? `rollback of ${r.rolledBackFrom}`
            : r.promotedFrom
              ? `promoted from ${r.promotedFrom}`
              : r.source,
          ago(r.createdAt),
          r.changes.length > 70 ? `${r.changes.slice(0, 67)}...` : r.changes,
          r.number === deployment?.servingRelease ? "serving" : "",
        ]),
      );
    });

  appCommand("events", "show the app's rollout events, oldest first")
    .option("--json", "print the API's JSON")
    .option("--tail <n>", "only the last N events", parseIntOption(1, 1_000_000), 50)
    .action(async (app: string, opts: Where & { tail: number }) => {
      const client = clientFromConfig();
      const all: Awaited<ReturnType<typeof client.events>> = [];
      // The API pages forward from a cursor; read to the end, keep the tail.
      for (;;) {
        const page = await client.events(...target(app, opts), all.at(-1)?.id ?? 0);
        all.push(...page);
        if (page.length === 0) break;
      }
      const events = all.slice(-opts.tail);
      if (opts.json) return printJson(events);
      printTable(
        ["AT", "RELEASE", "KIND", "MESSAGE"],
        events.map((e) => [e.at, e.release, e.kind, e.message]),
      );
    });

  appCommand("logs", "print the logs of the app's containers")
    .option("-f, --follow", "keep streaming new lines")
    .option("--tail <n>", "lines per container from the end", parseIntOption(0, 100_000), 100)
    .action(async (app: string, opts: Where & { follow?: boolean; tail: number }) => {
      const body = await clientFromConfig().logs(...target(app, opts), !!opts.follow, opts.tail);
      for await (const chunk of body) process.stdout.write(chunk);
    });

  appCommand("url", "print the app's URL")
    .option("--json", "print the API's JSON")
    .action(async (app: string, opts: Where) => {
      const d = await clientFromConfig().deployment(...target(app, opts));
      if (opts.json) return printJson({ url: d.url });
      process.stdout.write(`${d.url}\n`);
    });
}
