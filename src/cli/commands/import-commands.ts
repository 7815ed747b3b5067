import { readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import type { Command } from "commander";
import type { ApiClient } from "../api-client.js";
import { buildImage } from "../build-image.js";
import { envOf, tenantOf } from "../cli-config.js";
import { CliError } from "../cli-error.js";
import { clientFromConfig } from "../client-from-config.js";
import { readLocalFile } from "../read-local-file.js";
import { applyManifest } from "./manifest-commands.js";

const out = (line: string) => process.stdout.write(`${line}\n`);

type Manifest = Parameters<ApiClient["apply"]>[0];

export function registerImportCommands(program: Command): void {
  const imp = program.command("import").description("bring apps in from other formats");
  imp
    .command("compose <file>")
    .description(
      "import a docker-compose file into one environment: services become apps; anything Berth cannot honour is listed and nothing is imported",
    )
    .option("--tenant <tenant>", "tenant (created if missing)")
    .option("--env <env>", "environment (created if missing)")
    .option("--dry-run", "map and plan only: no builds, nothing changed")
    .option("-o, --output <file>", "also write the resulting berth.yaml")
    .option("--no-wait", "return once the releases are created")
    .action(
      async (
        file: string,
        opts: { tenant?: string; env?: string; dryRun?: boolean; output?: string; wait: boolean },
      ) => {
        const tenant = tenantOf(opts.tenant);
        const env = envOf(opts.env);
        const dir = dirname(resolve(file));
        const text = readLocalFile(file);
        // yaml and the compose mapping load only for this command.
        const [{ composeToManifest }, { stringify }] = await Promise.all([
          import("../compose/compose-to-manifest.js"),
          import("yaml"),
        ]);
        const imported = composeToManifest({
          text,
          fileName: basename(file),
          tenant,
          env,
          readFile: (rel) => readFileSync(join(dir, rel), "utf8"),
          environ: process.env,
        });
        for (const n of imported.notes) out(`Note: ${n}`);
        const manifest = imported.manifest as Manifest;
        const client = clientFromConfig();
        for (const b of imported.builds) {
          if (b.dockerfile !== undefined && b.dockerfile !== "Dockerfile")
            throw new CliError(
              `${b.app}: Berth builds the Dockerfile at the root of the build context; '${b.dockerfile}' is not supported`,
            );
          const context = resolve(dir, b.context);
          if (opts.dryRun) {
            out(`Would build ${b.app} from ${context}`);
            continue;
          }
          await ensureApp(client, tenant, env, b.app);
          const image = await buildImage(client, tenant, b.app, context, out);
          const appEnv = manifest.apps?.[b.app]?.envs?.[env];
          if (appEnv) appEnv.image = image;
        }
        if (opts.output) {
          writeFileSync(
            opts.output,
            `# berth.yaml: imported from ${basename(file)}\n${stringify(manifest, { lineWidth: 0 })}`,
          );
          out(`Wrote ${opts.output}`);
        }
        await applyManifest(client, manifest, () => basename(file), {
          dryRun: !!opts.dryRun,
          wait: opts.wait,
        });
      },
    );
}

/** A build needs its app to exist before the manifest that creates it is applied. */
async function ensureApp(client: ApiClient, tenant: string, env: string, app: string): Promise<void> {
  const ignoreExisting = (e: unknown) => {
    if (!(e instanceof CliError) || !/already exists/.test(e.message)) throw e;
  };
  await client.createTenant(tenant).catch(ignoreExisting);
  await client.createEnv(tenant, env).catch(ignoreExisting);
  await client.createApp(tenant, app).catch(ignoreExisting);
}
