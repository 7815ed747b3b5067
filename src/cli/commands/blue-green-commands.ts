import type { Command } from "commander";
import { envOf, tenantOf } from "../cli-config.js";
import { clientFromConfig } from "../client-from-config.js";
import { printJson } from "../output.js";
import { collectPair } from "../parse-units.js";
import {
  chosenRelease,
  printCanaryStatus,
  releaseOptions,
  type Where,
  waitUntilPromoted,
  waitUntilRouted,
} from "./canary-commands.js";

const out = (line: string) => process.stdout.write(`${line}\n`);

/**
 * Blue-green is a canary with all-or-nothing rules: `deploy` starts green beside blue with no
 * public traffic (a preview header may reach it), `switch` sends everything to green and keeps
 * blue running, `switch-back` returns everything to blue at once, `finish` retires blue, and
 * `cancel` retires green.
 */
export function registerBlueGreenCommands(program: Command): void {
  const bg = program
    .command("blue-green")
    .description("run a new release (green) beside the serving one (blue) and switch all traffic at once");
  const where = (app: string, opts: { tenant?: string; env?: string }): Where => ({
    tenant: tenantOf(opts.tenant),
    env: envOf(opts.env),
    app,
  });
  const simple = (name: string, description: string) =>
    bg
      .command(`${name} <app>`)
      .description(description)
      .option("--env <env>", "environment")
      .option("--tenant <tenant>", "tenant");

  releaseOptions(bg.command("deploy <app>").description("start green beside blue; it gets no traffic yet"))
    .option(
      "--preview-header <name=value>",
      "requests with this header reach green before the switch",
      collectPair,
    )
    .action(
      async (
        app: string,
        opts: Parameters<typeof chosenRelease>[2] & {
          env?: string;
          tenant?: string;
          previewHeader?: { name: string; value: string }[];
        },
      ) => {
        const w = where(app, opts);
        const client = clientFromConfig();
        const { canary, eventCursor } = await client.startCanary(w.tenant, w.env, app, {
          ...(await chosenRelease(client, w, opts)),
          mode: "blue-green",
          rules: { headers: opts.previewHeader ?? [], weight: 0 },
        });
        out(
          `Green release ${canary.release} of ${app} in ${w.env}: starting beside blue release ${canary.stableRelease}`,
        );
        if (!opts.wait) return;
        await waitUntilRouted(client, w, canary, eventCursor);
        out(
          `Green release ${canary.release} is healthy; 'berth blue-green switch ${app} --env ${w.env}' sends it all traffic`,
        );
      },
    );

  simple("switch", "send all traffic to green; blue keeps running for an instant switch-back").action(
    async (app: string, opts: { env?: string; tenant?: string }) => {
      const w = where(app, opts);
      const c = await clientFromConfig().updateCanaryRules(w.tenant, w.env, app, { weight: 100 });
      out(`All traffic now goes to green release ${c.release}; blue release ${c.stableRelease} stands by`);
    },
  );
  simple("switch-back", "send all traffic back to blue at once").action(
    async (app: string, opts: { env?: string; tenant?: string }) => {
      const w = where(app, opts);
      const c = await clientFromConfig().updateCanaryRules(w.tenant, w.env, app, { weight: 0 });
      out(`All traffic now goes to blue release ${c.stableRelease}; green release ${c.release} stands by`);
    },
  );
  simple("finish", "make green the serving release and retire blue")
    .option("--no-wait", "return once it started")
    .action(async (app: string, opts: { env?: string; tenant?: string; wait: boolean }) => {
      const w = where(app, opts);
      const client = clientFromConfig();
      const { canary, eventCursor } = await client.promoteCanary(w.tenant, w.env, app);
      out(`Finishing: green release ${canary.release} becomes the serving release`);
      if (opts.wait) await waitUntilPromoted(client, w, canary, eventCursor);
      if (opts.wait) out(`Release ${canary.release} serves; blue is retired`);
    });
  simple("cancel", "retire green; blue keeps (or takes back) all traffic").action(
    async (app: string, opts: { env?: string; tenant?: string }) => {
      const w = where(app, opts);
      const { canary } = await clientFromConfig().abortCanary(w.tenant, w.env, app);
      out(`Cancelled green release ${canary.release}; blue release ${canary.stableRelease} serves`);
    },
  );
  simple("status", "which side serves, and the traffic of each")
    .option("--json", "print the API's JSON")
    .action(async (app: string, opts: { env?: string; tenant?: string; json?: boolean }) => {
      const w = where(app, opts);
      const s = await clientFromConfig().canaryStatus(w.tenant, w.env, app, 60);
      if (opts.json) printJson(s);
      else printCanaryStatus(s);
    });
}
