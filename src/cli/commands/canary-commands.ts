import type { Command } from "commander";
import type { Canary, CanaryStatus } from "../../domain/canary.js";
import type { ApiClient, CanaryStartBody } from "../api-client.js";
import { buildImage } from "../build-image.js";
import { envOf, tenantOf } from "../cli-config.js";
import { CliError } from "../cli-error.js";
import { clientFromConfig } from "../client-from-config.js";
import { printJson, printTable } from "../output.js";
import { parseIntOption } from "../parse-int.js";
import {
  collect,
  collectPair,
  parseDurationSeconds,
  parseMilliseconds,
  parsePercent,
  parseSteps,
} from "../parse-units.js";
import { waitForEvents } from "../wait-for-rollout.js";

const out = (line: string) => process.stdout.write(`${line}\n`);

export interface Where {
  tenant: string;
  env: string;
  app: string;
}

interface ReleaseChoice {
  release?: number;
  image?: string;
  path?: string;
  port?: number;
  healthPath?: string;
  healthTimeout?: number;
  replicas?: number;
  wait: boolean;
}

/** Options every way of starting a second release shares: which release, and how to run it. */
export function releaseOptions(cmd: Command): Command {
  return cmd
    .option("--env <env>", "environment")
    .option("--tenant <tenant>", "tenant")
    .option("--release <n>", "an existing release", parseIntOption(1, 1e9))
    .option("--image <ref>", "an image already on the host (makes a new release)")
    .option("--path <dir>", "build the directory and use the result (makes a new release)")
    .option("--port <n>", "port the app listens on (default: the stable release's)", parseIntOption(1, 65535))
    .option("--health-path <path>", "health check path (default: the stable release's)")
    .option("--health-timeout <s>", "seconds it may take to become healthy", parseIntOption(1, 3600))
    .option(
      "--replicas <n>",
      "containers to run (default: as many as the stable release)",
      parseIntOption(1, 100),
    )
    .option("--no-wait", "return once it is created");
}

export async function chosenRelease(client: ApiClient, where: Where, opts: ReleaseChoice) {
  const given = [opts.release !== undefined, !!opts.image, !!opts.path].filter(Boolean).length;
  if (given !== 1) throw new CliError("give exactly one of --release N, --image REF or --path DIR");
  const image = opts.path ? await buildImage(client, where.tenant, where.app, opts.path, out) : opts.image;
  return {
    ...(opts.release !== undefined ? { release: opts.release } : { image }),
    port: opts.port,
    healthPath: opts.healthPath,
    healthTimeout: opts.healthTimeout,
    replicas: opts.replicas,
  };
}

/** Waits until the new release is healthy and routed, or failed. */
export async function waitUntilRouted(client: ApiClient, where: Where, canary: Canary, cursor: number) {
  await waitForEvents(client, where, cursor, out, (e) => {
    if (e.release !== canary.release) return undefined;
    if (e.kind === "canary-routed") return "done";
    if (e.kind === "canary-failed") return { failed: `canary failed: ${e.message}` };
    return undefined;
  });
}

/** Waits until a promotion's rolling update completes, or fails. */
export async function waitUntilPromoted(client: ApiClient, where: Where, canary: Canary, cursor: number) {
  await waitForEvents(client, where, cursor, out, (e) => {
    if (e.release !== canary.release) return undefined;
    if (e.kind === "canary-promoted") return "done";
    if (e.kind === "canary-failed" || e.kind === "failed")
      return { failed: `promotion failed: ${e.message}` };
    return undefined;
  });
}

const pct = (n: number) => `${(n * 100).toFixed(2)}%`;
const ms = (n: number | null) => (n === null ? "-" : `${n.toFixed(1)}ms`);

export function printCanaryStatus(s: CanaryStatus): void {
  const c = s.canary;
  if (!c) out("no canary has run for this app in this environment");
  else {
    out(`${c.mode} release ${c.release} beside stable ${c.stableRelease}: ${c.phase}`);
    out(`  ${c.message}`);
    const r = c.rules;
    out(`  headers:      ${r.headers.map((h) => `${h.name}=${h.value}`).join(", ") || "-"}`);
    out(`  cookie:       ${r.cookie ? `${r.cookie.name}=${r.cookie.value}` : "-"}`);
    out(`  source CIDRs: ${r.sourceCidrs.join(", ") || "-"}`);
    out(`  weight:       ${r.weight}%`);
    if (c.rollout) {
      const g = c.rollout;
      out(
        `  rollout:      step ${g.stepIndex + 1}/${g.steps.length} of ${g.steps.join(",")}% every ${g.intervalSeconds}s` +
          ` (gates: 5xx <= ${g.maxErrorRate ?? "-"}%, p99 <= ${g.maxP99Ms ?? "-"}ms, >= ${g.minRequests} requests)`,
      );
    }
  }
  out(`traffic over the last ${s.windowSeconds}s:`);
  printTable(
    ["RELEASE", "ROLE", "REQUESTS", "RPS", "5XX", "P50", "P99", "BY RULE"],
    s.traffic.map((t) => [
      t.release,
      t.role,
      t.requests,
      t.rps.toFixed(1),
      pct(t.errorRate),
      ms(t.p50Ms),
      ms(t.p99Ms),
      Object.entries(t.byRule)
        .filter(([, n]) => n > 0)
        .map(([k, n]) => `${k}:${n}`)
        .join(" ") || "-",
    ]),
  );
}

/** The rule flags `canary start` and `canary set` share, as commander parses them. */
interface RuleFlags {
  env?: string;
  tenant?: string;
  sourceCidr?: string[];
  header?: { name: string; value: string }[];
  cookie?: string;
  weight?: number;
}

interface StartOptions extends ReleaseChoice, RuleFlags {
  steps?: number[];
  interval?: number;
  maxErrorRate?: number;
  maxP99?: number;
  minRequests?: number;
}

interface SetOptions extends RuleFlags {
  clearHeaders?: boolean;
  clearCookie?: boolean;
  clearSourceCidrs?: boolean;
}

const whereOf = (app: string, opts: { tenant?: string; env?: string }): Where => ({
  tenant: tenantOf(opts.tenant),
  env: envOf(opts.env),
  app,
});

function cookieRule(value: string | undefined) {
  if (value === undefined) return undefined;
  const [pair] = collectPair(value);
  return pair;
}

export function registerCanaryCommands(program: Command): void {
  const canary = program
    .command("canary")
    .description("send part of the traffic to a new release: by header, cookie, source address or weight");

  releaseOptions(canary.command("start <app>").description("start a canary release beside the serving one"))
    .option(
      "--source-cidr <cidr>",
      "requests from this network go to the canary (repeatable; IPv4 or IPv6)",
      collect,
    )
    .option(
      "--header <name=value>",
      "requests with this header value go to the canary (repeatable)",
      collectPair,
    )
    .option("--cookie <name=value>", "requests with this cookie value go to the canary")
    .option(
      "--weight <percent>",
      "this share of the remaining requests, sticky per client",
      parseIntOption(0, 100),
    )
    .option("--steps <list>", "staged rollout: weights to go through, e.g. 5,25,50,100", parseSteps)
    .option(
      "--interval <duration>",
      "how long each step runs before it is judged (e.g. 60s)",
      parseDurationSeconds,
    )
    .option("--max-error-rate <percent>", "roll back when the canary's 5xx share exceeds this", parsePercent)
    .option(
      "--max-p99 <latency>",
      "roll back when the canary's p99 latency exceeds this (e.g. 500ms)",
      parseMilliseconds,
    )
    .option(
      "--min-requests <n>",
      "roll back when a step sees fewer canary requests",
      parseIntOption(0, 1_000_000),
    )
    .addHelpText(
      "after",
      "\nPrecedence: header, then cookie, then source CIDR, then weight; a request no rule matches goes to the stable release.",
    )
    .action(async (app: string, opts: StartOptions) => {
      const where = whereOf(app, opts);
      const staged = opts.steps !== undefined;
      const gated = [opts.interval, opts.maxErrorRate, opts.maxP99, opts.minRequests].some(
        (v) => v !== undefined,
      );
      if (gated && !staged) throw new CliError("--interval and the gates need --steps");
      if (staged && opts.interval === undefined)
        throw new CliError("--steps needs --interval, e.g. --interval 60s");
      const client = clientFromConfig();
      const body: CanaryStartBody = {
        ...(await chosenRelease(client, where, opts)),
        rules: {
          headers: opts.header ?? [],
          cookie: cookieRule(opts.cookie) ?? null,
          sourceCidrs: opts.sourceCidr ?? [],
          weight: opts.weight ?? 0,
        },
        ...(staged
          ? {
              rollout: {
                steps: opts.steps as number[],
                intervalSeconds: opts.interval as number,
                maxErrorRate: opts.maxErrorRate,
                maxP99Ms: opts.maxP99,
                minRequests: opts.minRequests,
              },
            }
          : {}),
      };
      const { canary: c, eventCursor } = await client.startCanary(where.tenant, where.env, app, body);
      out(
        `Canary release ${c.release} of ${app} in ${where.env}: starting beside release ${c.stableRelease}`,
      );
      if (!opts.wait) return;
      await waitUntilRouted(client, where, c, eventCursor);
      out(
        staged
          ? `Canary release ${c.release} is live at step 1 (${c.rules.weight}%); 'berth canary status ${app} --env ${where.env}' follows the rollout`
          : `Canary release ${c.release} is live; 'berth canary status ${app} --env ${where.env}' shows its traffic`,
      );
    });

  canary
    .command("status <app>")
    .description("rules, current step and per-release requests/s, 5xx rate and p50/p99")
    .option("--env <env>", "environment")
    .option("--tenant <tenant>", "tenant")
    .option("--window <duration>", "how much recent traffic to summarise", parseDurationSeconds, 60)
    .option("--json", "print the API's JSON")
    .action(async (app: string, opts: { env?: string; tenant?: string; window: number; json?: boolean }) => {
      const where = whereOf(app, opts);
      const s = await clientFromConfig().canaryStatus(where.tenant, where.env, app, opts.window);
      if (opts.json) printJson(s);
      else printCanaryStatus(s);
    });

  canary
    .command("set <app>")
    .description("change the running canary's rules; returns once the router serves them")
    .option("--env <env>", "environment")
    .option("--tenant <tenant>", "tenant")
    .option("--source-cidr <cidr>", "replace the source networks (repeatable)", collect)
    .option("--header <name=value>", "replace the header rules (repeatable)", collectPair)
    .option("--cookie <name=value>", "replace the cookie rule")
    .option("--weight <percent>", "the share of the remaining requests", parseIntOption(0, 100))
    .option("--clear-headers", "remove every header rule")
    .option("--clear-cookie", "remove the cookie rule")
    .option("--clear-source-cidrs", "remove every source network")
    .action(async (app: string, opts: SetOptions) => {
      const where = whereOf(app, opts);
      const patch = {
        headers: opts.clearHeaders ? [] : opts.header,
        cookie: opts.clearCookie ? null : cookieRule(opts.cookie),
        sourceCidrs: opts.clearSourceCidrs ? [] : opts.sourceCidr,
        weight: opts.weight,
      };
      if (Object.values(patch).every((v) => v === undefined))
        throw new CliError("nothing to change; see --help");
      const c = await clientFromConfig().updateCanaryRules(where.tenant, where.env, app, patch);
      out(`Canary release ${c.release} rules are live: weight ${c.rules.weight}%`);
    });

  canary
    .command("promote <app>")
    .description("make the canary the serving release, with no failed request")
    .option("--env <env>", "environment")
    .option("--tenant <tenant>", "tenant")
    .option("--no-wait", "return once the promotion started")
    .action(async (app: string, opts: { env?: string; tenant?: string; wait: boolean }) => {
      const where = whereOf(app, opts);
      const client = clientFromConfig();
      const { canary: c, eventCursor } = await client.promoteCanary(where.tenant, where.env, app);
      out(`Promoting canary release ${c.release} of ${app} in ${where.env}`);
      if (!opts.wait) return;
      await waitUntilPromoted(client, where, c, eventCursor);
      out(`Release ${c.release} now serves all the traffic`);
    });

  canary
    .command("abort <app>")
    .description("send all traffic back to the stable release and retire the canary")
    .option("--env <env>", "environment")
    .option("--tenant <tenant>", "tenant")
    .action(async (app: string, opts: { env?: string; tenant?: string }) => {
      const where = whereOf(app, opts);
      const { canary: c } = await clientFromConfig().abortCanary(where.tenant, where.env, app);
      out(`Aborted canary release ${c.release}; release ${c.stableRelease} takes all the traffic`);
    });
}
