import type { Command } from "commander";
import type { ApiClient } from "./api-client.js";
import { waitForRollout } from "./wait-for-rollout.js";

/** What config, secret and resources commands share: which layer they write, and how they report. */
const out = (line: string) => process.stdout.write(`${line}\n`);

export interface ScopeOptions {
  tenant?: string;
  env?: string;
  tenantWide?: boolean;
  stage?: boolean;
  wait: boolean;
}

type ChangeResult = Awaited<ReturnType<ApiClient["changeConfig"]>>;

/** The scope a command writes: an app's layer (with --env, its override there) or, with --tenant-wide, the tenant's. */
export function scopeOf(appOrFirst: string, rest: string[], opts: ScopeOptions) {
  const args = opts.tenantWide ? [appOrFirst, ...rest] : rest;
  return { app: opts.tenantWide ? undefined : appOrFirst, env: opts.env, args };
}

export const layerText = (app: string | undefined, env: string | undefined) =>
  app === undefined
    ? env === undefined
      ? "the tenant's defaults"
      : `the tenant's ${env} defaults`
    : env === undefined
      ? `${app}'s defaults (every environment)`
      : `${app} in ${env}`;

/** Prints what a change did and follows every rollout it started. */
export async function report(
  client: ApiClient,
  tenant: string,
  result: ChangeResult,
  wait: boolean,
): Promise<void> {
  for (const s of result.staged)
    out(`Staged for ${s.app} in ${s.env}: 'berth redeploy ${s.app} --env ${s.env}' rolls it out`);
  if (result.releases.length === 0 && result.staged.length === 0)
    out("Saved. No running deployment changed (none uses this layer yet, or what it runs is the same).");
  for (const r of result.releases) out(`Release ${r.release} of ${r.app} in ${r.env}: rolling out`);
  if (!wait) return;
  for (const r of result.releases) {
    await waitForRollout(client, { tenant, env: r.env, app: r.app }, r.release, r.eventCursor, out);
    out(`${r.app} release ${r.release} is live in ${r.env}`);
  }
}

export const scopeOptions = (c: Command) =>
  c
    .option("--env <env>", "the environment's override (default: the app's default for every environment)")
    .option("--tenant <tenant>", "tenant")
    .option("--tenant-wide", "the tenant's default for every app (then every argument is KEY=VALUE)")
    .option("--stage", "store only; running releases change at the next deploy or 'berth redeploy'")
    .option("--no-wait", "return once the releases are created");
