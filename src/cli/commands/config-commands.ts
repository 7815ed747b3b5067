import type { Command } from "commander";
import { envOf, tenantOf } from "../cli-config.js";
import { CliError } from "../cli-error.js";
import { clientFromConfig } from "../client-from-config.js";
import { layerText, report, type ScopeOptions, scopeOf, scopeOptions } from "../config-scope.js";
import { printJson, printTable } from "../output.js";
import { parseIntOption } from "../parse-int.js";
import { splitAssignment } from "../parse-units.js";
import { readLocalFile } from "../read-local-file.js";
import { readStdin } from "../read-stdin.js";

const out = (line: string) => process.stdout.write(`${line}\n`);

export function registerConfigCommands(program: Command): void {
  const config = program
    .command("config")
    .description("layered config per app and environment: values, secrets, files (see 'berth config list')");

  scopeOptions(
    config
      .command("set <app> [pairs...]")
      .description(
        "set KEY=VALUE pairs; values may use ${BERTH_MEMORY_MB / 2}, ${OTHER_KEY}, ${X:-fallback}; every running deployment it reaches rolls out a new release",
      ),
  ).action(async (appOrFirst: string, rest: string[], opts: ScopeOptions) => {
    const { app, env, args } = scopeOf(appOrFirst, rest, opts);
    if (args.length === 0) throw new CliError("give at least one KEY=VALUE");
    const values = Object.fromEntries(args.map(splitAssignment));
    const tenant = tenantOf(opts.tenant);
    const client = clientFromConfig();
    const result = await client.changeConfig(tenant, { app, env, values, stage: opts.stage });
    out(`Set ${Object.keys(values).join(", ")} in ${layerText(app, env)}`);
    await report(client, tenant, result, opts.wait);
  });

  scopeOptions(
    config.command("unset <app> [keys...]").description("remove values or secrets from one layer"),
  ).action(async (appOrFirst: string, rest: string[], opts: ScopeOptions) => {
    const { app, env, args } = scopeOf(appOrFirst, rest, opts);
    if (args.length === 0) throw new CliError("give at least one KEY");
    const tenant = tenantOf(opts.tenant);
    const client = clientFromConfig();
    const result = await client.changeConfig(tenant, { app, env, unset: args, stage: opts.stage });
    out(`Unset ${args.join(", ")} in ${layerText(app, env)}`);
    await report(client, tenant, result, opts.wait);
  });

  config
    .command("list [app]")
    .description("with --env: every key in effect, its value, the layer it came from and what it resolves to")
    .option("--env <env>", "environment")
    .option("--tenant <tenant>", "tenant")
    .option("--tenant-wide", "the tenant's own layer")
    .option("--show-secrets", "show secret values (needs a role that may read them)")
    .option("--json", "print the API's JSON")
    .action(
      async (
        app: string | undefined,
        opts: { env?: string; tenant?: string; tenantWide?: boolean; showSecrets?: boolean; json?: boolean },
      ) => {
        if (!app && !opts.tenantWide)
          throw new CliError("give an app, or --tenant-wide for the tenant's defaults");
        const listing = await clientFromConfig().listConfig(tenantOf(opts.tenant), {
          app: opts.tenantWide ? undefined : app,
          env: opts.env,
          showSecrets: !!opts.showSecrets,
        });
        if (opts.json) return printJson(listing);
        if (listing.entries.length === 0 && listing.files.length === 0) out("No config set here.");
        else {
          const effective = listing.entries.some((e) => e.resolved !== null);
          printTable(
            effective ? ["KEY", "VALUE", "LAYER", "RESOLVED"] : ["KEY", "VALUE", "LAYER"],
            listing.entries.map((e) => {
              const row = [e.key, clip(e.value), e.secret ? `${e.layer} (secret)` : e.layer];
              return effective ? [...row, clip(e.resolved ?? "")] : row;
            }),
          );
          for (const f of listing.files) out(`file ${f.path} (${f.bytes} bytes, ${f.layer})`);
        }
        if (listing.problem) out(`Problem: ${listing.problem}`);
      },
    );

  config
    .command("get <app> <key>")
    .description("print one value: resolved with --env, else as set in the app's defaults")
    .option("--env <env>", "environment")
    .option("--tenant <tenant>", "tenant")
    .option("--show-secrets", "show a secret's value")
    .action(
      async (app: string, key: string, opts: { env?: string; tenant?: string; showSecrets?: boolean }) => {
        const listing = await clientFromConfig().listConfig(tenantOf(opts.tenant), {
          app,
          env: opts.env,
          showSecrets: !!opts.showSecrets,
        });
        const e = listing.entries.find((x) => x.key === key);
        if (!e) throw new CliError(`${key} is not set for ${layerText(app, opts.env)}`);
        if (listing.problem && e.resolved === null) throw new CliError(listing.problem);
        out(e.resolved ?? e.value);
      },
    );

  config
    .command("diff <app>")
    .description("what the next release would change against the live one, or between two releases")
    .option("--env <env>", "environment")
    .option("--tenant <tenant>", "tenant")
    .option("--from <n>", "release to compare from (default: the live one)", parseIntOption(1, 1e9))
    .option("--to <n>", "release to compare to (default: the layers now)", parseIntOption(1, 1e9))
    .option("--show-secrets", "show secret values")
    .option("--json", "print the API's JSON")
    .action(
      async (
        app: string,
        opts: {
          env?: string;
          tenant?: string;
          from?: number;
          to?: number;
          showSecrets?: boolean;
          json?: boolean;
        },
      ) => {
        const diff = await clientFromConfig().configDiff(tenantOf(opts.tenant), envOf(opts.env), app, {
          from: opts.from,
          to: opts.to,
          showSecrets: !!opts.showSecrets,
        });
        if (opts.json) return printJson(diff);
        out(`--- ${diff.from}`);
        out(`+++ ${diff.to}`);
        if (diff.lines.length === 0) out("(no differences)");
        for (const l of diff.lines) {
          if (l.from !== null) out(`- ${l.key}=${oneLine(l.from)}`);
          if (l.to !== null) out(`+ ${l.key}=${oneLine(l.to)}`);
        }
      },
    );

  scopeOptions(
    config
      .command("file <app>")
      .description("mount a config file (a template, like values) read-only into the app's containers")
      .requiredOption("--path <path>", "absolute path inside the container")
      .option("--from <file>", "local file with the content")
      .option("--remove", "remove the file from this layer"),
  ).action(async (app: string, opts: ScopeOptions & { path: string; from?: string; remove?: boolean }) => {
    if (!!opts.from === !!opts.remove) throw new CliError("give exactly one of --from FILE or --remove");
    const tenant = tenantOf(opts.tenant);
    const client = clientFromConfig();
    const req = { app, env: opts.env, path: opts.path, stage: opts.stage };
    const result = opts.remove
      ? await client.removeConfigFile(tenant, req)
      : await client.putConfigFile(tenant, { ...req, content: readLocalFile(opts.from as string) });
    out(`${opts.remove ? "Removed" : "Set"} file ${opts.path} in ${layerText(app, opts.env)}`);
    await report(client, tenant, result, opts.wait);
  });

  const secret = program
    .command("secret")
    .description("secrets: stored encrypted, shown masked, never echoed ('berth config unset' removes them)");
  scopeOptions(
    secret
      .command("set <app> [pairs...]")
      .description(
        "set KEY=VALUE secrets, or one KEY with --from-file or --stdin (keeps it out of shell history)",
      )
      .option("--from-file <file>", "read the value of the one KEY from a file")
      .option(
        "--stdin",
        "read the value of the one KEY from standard input (one trailing newline is dropped)",
      ),
  ).action(
    async (
      appOrFirst: string,
      rest: string[],
      opts: ScopeOptions & { fromFile?: string; stdin?: boolean },
    ) => {
      const { app, env, args } = scopeOf(appOrFirst, rest, opts);
      let secrets: Record<string, string>;
      if (opts.fromFile || opts.stdin) {
        if (opts.fromFile && opts.stdin) throw new CliError("give --from-file or --stdin, not both");
        if (args.length !== 1 || args[0]?.includes("="))
          throw new CliError("with --from-file or --stdin give exactly one KEY (no =VALUE)");
        const value = opts.fromFile
          ? readLocalFile(opts.fromFile)
          : (await readStdin()).replace(/\r?\n$/, "");
        secrets = { [args[0] as string]: value };
      } else {
        if (args.length === 0)
          throw new CliError("give KEY=VALUE pairs, or one KEY with --from-file or --stdin");
        secrets = Object.fromEntries(args.map(splitAssignment));
      }
      const tenant = tenantOf(opts.tenant);
      const client = clientFromConfig();
      const result = await client.changeConfig(tenant, { app, env, secrets, stage: opts.stage });
      out(`Sealed ${Object.keys(secrets).join(", ")} in ${layerText(app, env)}`);
      await report(client, tenant, result, opts.wait);
    },
  );
}

const clip = (v: string) => oneLine(v.length > 60 ? `${v.slice(0, 57)}...` : v);
const oneLine = (v: string) => v.replace(/\n/g, "\\n");
