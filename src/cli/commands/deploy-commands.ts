import type { Command } from "commander";
import type { ApiClient, DeployOutcome } from "../api-client.js";
import { buildImage } from "../build-image.js";
import { envOf, tenantOf } from "../cli-config.js";
import { CliError } from "../cli-error.js";
import { clientFromConfig } from "../client-from-config.js";
import { parseIntOption } from "../parse-int.js";
import { collect, splitAssignment } from "../parse-units.js";
import { type PlacementFlags, placementFrom, placementOptions } from "../placement-flags.js";
import { waitForRollout } from "../wait-for-rollout.js";

interface DeployOptions {
  env?: string;
  tenant?: string;
  image?: string;
  path?: string;
  port?: number;
  replicas?: number;
  healthPath?: string;
  healthTimeout?: number;
  config?: string[];
  wait: boolean;
}

const out = (line: string) => process.stdout.write(`${line}\n`);

export function registerDeployCommands(program: Command): void {
  const deploy = program
    .command("deploy <app>")
    .description("build or take an image, create a release and roll it out with zero downtime")
    .option("--env <env>", "environment")
    .option("--tenant <tenant>", "tenant")
    .option("--image <ref>", "deploy an image already on the host")
    .option("--path <dir>", "build the directory (with a Dockerfile) and deploy the result")
    .option(
      "--port <n>",
      "port the app listens on, kept for later deploys (default: as set, the image's EXPOSE, or 8080)",
      parseIntOption(1, 65535),
    )
    .option("--replicas <n>", "containers to run (default: as before, or 1)", parseIntOption(0, 100))
    .option("--health-path <path>", "HTTP path that answers 2xx/3xx when healthy (default: previous, or /)")
    .option(
      "--health-timeout <s>",
      "seconds the new release may take to become healthy (default 60)",
      parseIntOption(1, 3600),
    )
    .option(
      "--config <KEY=VALUE>",
      "a value for this release only, above every layer (repeatable; later config changes keep it)",
      collect,
    )
    .option("--no-wait", "return once the release is created");
  placementOptions(deploy).action(async (app: string, opts: DeployOptions & PlacementFlags) => {
    if (!!opts.image === !!opts.path) throw new CliError("give exactly one of --image REF or --path DIR");
    const tenant = tenantOf(opts.tenant);
    const env = envOf(opts.env);
    const client = clientFromConfig();
    const image = opts.image ?? (await buildImage(client, tenant, app, opts.path as string, out));
    // Placement is a setting of the app in this environment: staged here, made part of this release.
    const placement = placementFrom(opts);
    if (Object.keys(placement).length > 0)
      await client.patchSettings(tenant, { app, env, settings: placement, stage: true });
    const outcome = await client.deploy(tenant, env, app, {
      image,
      port: opts.port,
      replicas: opts.replicas,
      healthPath: opts.healthPath,
      healthTimeout: opts.healthTimeout,
      config: opts.config ? Object.fromEntries(opts.config.map(splitAssignment)) : undefined,
    });
    await follow(client, { tenant, env, app }, outcome, opts.wait);
  });

  program
    .command("redeploy <app>")
    .description("make a new release of the current image with the config as it is now, and roll it out")
    .option("--env <env>", "environment")
    .option("--tenant <tenant>", "tenant")
    .option("--no-wait", "return once the release is created")
    .action(async (app: string, opts: { env?: string; tenant?: string; wait: boolean }) => {
      const tenant = tenantOf(opts.tenant);
      const env = envOf(opts.env);
      const client = clientFromConfig();
      await follow(client, { tenant, env, app }, await client.redeploy(tenant, env, app), opts.wait);
    });

  program
    .command("promote <app>")
    .description(
      "deploy the image serving in one environment, by digest, to the next, with that one's config",
    )
    .requiredOption("--from <env>", "environment whose serving release is promoted")
    .requiredOption("--to <env>", "environment to deploy it to")
    .option("--tenant <tenant>", "tenant")
    .option("--no-wait", "return once the release is created")
    .action(async (app: string, opts: { from: string; to: string; tenant?: string; wait: boolean }) => {
      const tenant = tenantOf(opts.tenant);
      const client = clientFromConfig();
      const outcome = await client.promote(tenant, app, opts.from, opts.to);
      await follow(client, { tenant, env: opts.to, app }, outcome, opts.wait);
    });

  program
    .command("rollback <app>")
    .description("make a new release from an earlier one and roll it out")
    .option("--env <env>", "environment")
    .option("--tenant <tenant>", "tenant")
    .option(
      "--to <n>",
      "release number (default: the one before the serving release)",
      parseIntOption(1, 1e9),
    )
    .option("--no-wait", "return once the release is created")
    .action(async (app: string, opts: { env?: string; tenant?: string; to?: number; wait: boolean }) => {
      const tenant = tenantOf(opts.tenant);
      const env = envOf(opts.env);
      const client = clientFromConfig();
      await follow(client, { tenant, env, app }, await client.rollback(tenant, env, app, opts.to), opts.wait);
    });

  program
    .command("scale <app>")
    .description("set how many containers run")
    .option("--env <env>", "environment")
    .option("--tenant <tenant>", "tenant")
    .requiredOption("--replicas <n>", "containers to run", parseIntOption(0, 100))
    .action(async (app: string, opts: { env?: string; tenant?: string; replicas: number }) => {
      const d = await clientFromConfig().scale(tenantOf(opts.tenant), envOf(opts.env), app, opts.replicas);
      out(`Scaling ${app} to ${d.replicas} replica(s); 'berth ps ${app}' shows progress`);
    });
}

async function follow(
  client: ApiClient,
  where: { tenant: string; env: string; app: string },
  outcome: DeployOutcome,
  wait: boolean,
): Promise<void> {
  out(`Release ${outcome.release} of ${where.app} in ${where.env}: rolling out`);
  if (!wait) return;
  await waitForRollout(client, where, outcome.release, outcome.eventCursor, out);
  out(`${where.app} release ${outcome.release} is live at ${outcome.deployment.url}`);
}
