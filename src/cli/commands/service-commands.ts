import type { Command } from "commander";
import type { ServiceInstance } from "../../domain/service-instance.js";
import { envOf, loadConfig, tenantOf } from "../cli-config.js";
import { CliError } from "../cli-error.js";
import { clientFromConfig } from "../client-from-config.js";
import { ago, printJson, printTable } from "../output.js";
import { parseIntOption } from "../parse-int.js";
import { serviceClientFromConfig } from "../service-api-client.js";
import { waitForRollout } from "../wait-for-rollout.js";

const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** --param key=value, repeatable; values are text (the server turns them into the schema's types). */
function collectParam(value: string, previous: Record<string, string>): Record<string, string> {
  const eq = value.indexOf("=");
  if (eq <= 0) throw new CliError(`--param ${value}: expected KEY=VALUE, e.g. --param max_connections=200`);
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

function describe(i: ServiceInstance): string[] {
  const lines = [
    `${i.name}: ${i.capability} ${i.version}, plan ${i.plan}, in ${i.env}`,
    `  phase:      ${i.phase}${i.message && i.message !== i.phase ? ` (${i.message})` : ""}`,
    `  reach:      ${i.host}:${i.port} on the ${i.env} network`,
  ];
  for (const c of i.components)
    lines.push(`  component:  ${c.service} (${c.app}) ${c.readyReplicas}/${c.replicas} ready, ${c.phase}`);
  for (const b of i.bindings) lines.push(`  bound:      ${b.app} as ${b.name} (${b.state})`);
  const params = Object.entries(i.parameters);
  if (params.length > 0)
    lines.push(`  parameters: ${params.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(" ")}`);
  if (i.operation)
    lines.push(
      `  operation:  ${i.operation.kind} #${i.operation.id} ${i.operation.state}${i.operation.reason ? `: ${i.operation.reason}` : ""}`,
    );
  return lines;
}

/** Polls the instance until its newest operation ends; prints each new reason once. */
async function waitForOperation(tenant: string, env: string, name: string, gone: boolean): Promise<void> {
  const client = serviceClientFromConfig();
  let last = "";
  for (;;) {
    let i: ServiceInstance;
    try {
      i = await client.service(tenant, env, name);
    } catch (error) {
      if (gone && error instanceof CliError && /does not exist/.test(error.message)) return;
      throw error;
    }
    const op = i.operation;
    const line = op ? `${op.state}${op.reason ? `: ${op.reason}` : ""}` : i.phase;
    if (line !== last) out(`  ${line}`);
    last = line;
    if (op?.state === "failed") throw new CliError(`${op.kind} of ${name} failed: ${op.reason}`);
    if (op?.state === "succeeded" && !gone) return;
    await sleep(500);
  }
}

export function registerServiceCommands(program: Command): void {
  const svc = program.command("service").description("service instances of catalog capabilities");
  svc
    .command("create <name>")
    .description("provision an instance in an environment")
    .requiredOption("--capability <id>", "a capability from 'berth catalog list'")
    .option("--plan <plan>", "a plan of it (default: its default plan)")
    .option("--module-version <version>", "a module version (default: the newest)")
    .option("--param <key=value>", "a parameter (repeatable; see 'berth catalog show')", collectParam, {})
    .option("--env <env>", "environment")
    .option("--tenant <tenant>", "tenant")
    .option("--wait", "wait until it is ready (or failed)")
    .action(
      async (
        name: string,
        opts: {
          capability: string;
          plan?: string;
          moduleVersion?: string;
          param: Record<string, string>;
          env?: string;
          tenant?: string;
          wait?: boolean;
        },
      ) => {
        const tenant = tenantOf(opts.tenant);
        const env = envOf(opts.env);
        const i = await serviceClientFromConfig().createService(tenant, env, {
          name,
          capability: opts.capability,
          plan: opts.plan,
          version: opts.moduleVersion,
          parameters: opts.param,
        });
        out(`Provisioning ${name} (${i.capability} ${i.version}, plan ${i.plan}) in ${env}`);
        if (!opts.wait) return out(`'berth service info ${name}' shows progress`);
        await waitForOperation(tenant, env, name, false);
        out(`${name} is ready at ${i.host}:${i.port}; bind an app with 'berth bind APP ${name}'`);
      },
    );
  svc
    .command("update <name>")
    .description("a new plan or new parameters; the instance restarts in place on its volume")
    .option("--plan <plan>", "another plan of the capability")
    .option("--param <key=value>", "a parameter of the module's update schema (repeatable)", collectParam, {})
    .option("--env <env>", "environment")
    .option("--tenant <tenant>", "tenant")
    .option("--wait", "wait until it is ready again (or the update failed)")
    .action(
      async (
        name: string,
        opts: { plan?: string; param: Record<string, string>; env?: string; tenant?: string; wait?: boolean },
      ) => {
        if (opts.plan === undefined && Object.keys(opts.param).length === 0)
          throw new CliError("nothing to change: give --plan or --param");
        const tenant = tenantOf(opts.tenant);
        const env = envOf(opts.env);
        const i = await serviceClientFromConfig().updateService(tenant, env, name, {
          plan: opts.plan,
          parameters: Object.keys(opts.param).length > 0 ? opts.param : undefined,
        });
        out(`Updating ${name} (plan ${i.plan}) in ${env}`);
        if (!opts.wait) return out(`'berth service info ${name}' shows progress`);
        await waitForOperation(tenant, env, name, false);
        out(`${name} is ready with plan ${i.plan}`);
      },
    );
  svc
    .command("list")
    .description("the service instances in an environment")
    .option("--env <env>", "environment")
    .option("--tenant <tenant>", "tenant")
    .option("--json", "print the API's JSON")
    .action(async (opts: { env?: string; tenant?: string; json?: boolean }) => {
      const list = await serviceClientFromConfig().listServices(tenantOf(opts.tenant), envOf(opts.env));
      if (opts.json) return printJson(list);
      printTable(
        ["NAME", "CAPABILITY", "VERSION", "PLAN", "PHASE", "BINDINGS", "CREATED"],
        list.map((i) => [
          i.name,
          i.capability,
          i.version,
          i.plan,
          i.phase,
          i.bindings.length,
          ago(i.createdAt),
        ]),
      );
    });
  svc
    .command("info <name>")
    .description("an instance: phase, where apps reach it, its components, bindings and newest operation")
    .option("--env <env>", "environment")
    .option("--tenant <tenant>", "tenant")
    .option("--json", "print the API's JSON")
    .action(async (name: string, opts: { env?: string; tenant?: string; json?: boolean }) => {
      const i = await serviceClientFromConfig().service(tenantOf(opts.tenant), envOf(opts.env), name);
      if (opts.json) return printJson(i);
      for (const line of describe(i)) out(line);
    });
  svc
    .command("logs <name>")
    .description(
      "the logs of an instance's containers, each line prefixed by its service, release and replica",
    )
    .option("--env <env>", "environment")
    .option("--tenant <tenant>", "tenant")
    .option("-f, --follow", "keep streaming")
    .option("--tail <n>", "lines per container to start with", parseIntOption(0, 100_000), 100)
    .action(async (name: string, opts: { env?: string; tenant?: string; follow?: boolean; tail: number }) => {
      const stream = await serviceClientFromConfig().serviceLogs(
        tenantOf(opts.tenant),
        envOf(opts.env),
        name,
        opts.follow === true,
        opts.tail,
      );
      for await (const chunk of stream) process.stdout.write(chunk);
    });
  svc
    .command("delete <name>")
    .description("delete an instance and its data (refused while apps are bound to it)")
    .option("--keep-volume", "keep its volumes (and data) on the engine")
    .option("--env <env>", "environment")
    .option("--tenant <tenant>", "tenant")
    .option("--wait", "wait until it is gone")
    .action(
      async (name: string, opts: { keepVolume?: boolean; env?: string; tenant?: string; wait?: boolean }) => {
        const tenant = tenantOf(opts.tenant);
        const env = envOf(opts.env);
        await serviceClientFromConfig().deleteService(tenant, env, name, opts.keepVolume === true);
        out(`Deleting ${name} in ${env}${opts.keepVolume ? " (its volumes stay)" : ""}`);
        if (opts.wait) {
          await waitForOperation(tenant, env, name, true);
          out(`${name} is gone`);
        }
      },
    );

  program
    .command("bind <app> <service>")
    .description("give APP its own credentials to SERVICE (same environment); the app rolls out with them")
    .option(
      "--as <name>",
      "the binding's name: its folder under $SERVICE_BINDING_ROOT (default: the service's)",
    )
    .option("--env <env>", "environment")
    .option("--tenant <tenant>", "tenant")
    .option("--no-wait", "return once the rollout has started")
    .action(
      async (
        app: string,
        service: string,
        opts: { as?: string; env?: string; tenant?: string; wait: boolean },
      ) => {
        const where = { tenant: tenantOf(opts.tenant), env: envOf(opts.env), app };
        const r = await serviceClientFromConfig().bind(where.tenant, where.env, app, {
          service,
          as: opts.as,
        });
        out(
          `Bound ${app} to ${service} as ${r.binding.name}: files in $SERVICE_BINDING_ROOT/${r.binding.name}/`,
        );
        if (r.release === null)
          return out(`${app} is not deployed in ${where.env} yet; its first release will have the binding`);
        out(`Release ${r.release} of ${app} in ${where.env}: rolling out`);
        if (opts.wait) await waitForRollout(clientFromConfig(), where, r.release, r.eventCursor, out);
      },
    );
  program
    .command("unbind <app> <binding>")
    .description("take a binding away: the app rolls out without it, then its credentials are revoked")
    .option("--env <env>", "environment")
    .option("--tenant <tenant>", "tenant")
    .option("--no-wait", "return once the rollout has started")
    .action(async (app: string, binding: string, opts: { env?: string; tenant?: string; wait: boolean }) => {
      const where = { tenant: tenantOf(opts.tenant), env: envOf(opts.env), app };
      const r = await serviceClientFromConfig().unbind(where.tenant, where.env, app, binding);
      out(
        `Unbinding ${r.binding.name} from ${app}; its credentials are revoked once ${app} no longer uses them`,
      );
      if (r.release !== null && opts.wait)
        await waitForRollout(clientFromConfig(), where, r.release, r.eventCursor, out);
    });
  program
    .command("binding")
    .description("a binding's credentials")
    .command("rotate <app> <binding>")
    .description(
      "new credentials: a new user at the service, the app rolled out with it, the old user revoked afterwards",
    )
    .option("--env <env>", "environment")
    .option("--tenant <tenant>", "tenant")
    .option("--no-wait", "return once the rollout has started")
    .action(async (app: string, binding: string, opts: { env?: string; tenant?: string; wait: boolean }) => {
      const where = { tenant: tenantOf(opts.tenant), env: envOf(opts.env), app };
      const r = await serviceClientFromConfig().rotateBinding(where.tenant, where.env, app, binding);
      out(
        `Rotating ${r.binding.name} of ${app}: the old credentials are revoked once ${app} no longer uses them`,
      );
      if (r.release !== null && opts.wait)
        await waitForRollout(clientFromConfig(), where, r.release, r.eventCursor, out);
    });
  program
    .command("bindings <app>")
    .description("the app's bindings in an environment (names and states; values are never shown)")
    .option("--env <env>", "environment")
    .option("--tenant <tenant>", "tenant")
    .option("--json", "print the API's JSON")
    .action(async (app: string, opts: { env?: string; tenant?: string; json?: boolean }) => {
      const list = await serviceClientFromConfig().listBindings(tenantOf(opts.tenant), envOf(opts.env), app);
      if (opts.json) return printJson(list);
      printTable(
        ["NAME", "SERVICE", "STATE", "CREATED"],
        list.map((b) => [b.name, b.service, b.state, ago(b.createdAt)]),
      );
    });
}
