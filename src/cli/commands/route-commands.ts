import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { envOf, tenantOf } from "../cli-config.js";
import { CliError } from "../cli-error.js";
import { clientFromConfig } from "../client-from-config.js";
import { printJson, printTable } from "../output.js";
import { parseIntOption } from "../parse-int.js";

const out = (line: string) => process.stdout.write(`${line}\n`);

interface AddOptions {
  env?: string;
  tenant?: string;
  host: string;
  path?: string;
  tls?: string;
  cert?: string;
  key?: string;
  redirectHttps?: boolean;
}

function readPem(file: string, what: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    throw new CliError(`cannot read the ${what} file ${file}: ${(error as Error).message}`);
  }
}

export function registerRouteCommands(program: Command): void {
  const route = program.command("route").description("serve an app at more hosts and paths, with HTTPS");
  const appCommand = (name: string, description: string) =>
    route
      .command(`${name} <app>`)
      .description(description)
      .option("--env <env>", "environment")
      .option("--tenant <tenant>", "tenant");

  appCommand("add", "serve the app at HOST[/PATH]; returns once the router serves it")
    .requiredOption("--host <host>", "host name, e.g. www.example.com")
    .option("--path <path>", "path prefix, e.g. /api (serves /api and /api/...)", "/")
    .option("--tls <mode>", "internal: a certificate from Berth's CA; none: plain HTTP")
    .option("--cert <file>", "PEM certificate (with chain) to serve; needs --key")
    .option("--key <file>", "PEM private key of --cert")
    .option("--redirect-https", "answer plain HTTP on this route with a redirect to HTTPS")
    .action(async (app: string, opts: AddOptions) => {
      if (!!opts.cert !== !!opts.key) throw new CliError("--cert and --key go together");
      if (opts.cert && opts.tls && opts.tls !== "uploaded")
        throw new CliError("--cert/--key upload a certificate; drop --tls");
      if (opts.tls && !["internal", "none"].includes(opts.tls))
        throw new CliError("--tls must be internal or none (or use --cert/--key)");
      const tls = opts.cert ? "uploaded" : ((opts.tls ?? "none") as "internal" | "none");
      const r = await clientFromConfig().addRoute(tenantOf(opts.tenant), envOf(opts.env), app, {
        host: opts.host,
        path: opts.path,
        tls,
        redirectHttps: opts.redirectHttps ?? false,
        ...(opts.cert
          ? { certPem: readPem(opts.cert, "certificate"), keyPem: readPem(opts.key as string, "key") }
          : {}),
      });
      out(`Route ${r.id}: ${r.url} -> ${app}`);
      if (r.certificate)
        out(`  certificate from ${r.certificate.issuer}, valid until ${r.certificate.notAfter}`);
      if (r.tls === "internal") out("  clients must trust Berth's CA: 'berth tls ca > berth-ca.pem'");
    });

  appCommand("list", "list the app's custom routes")
    .option("--json", "print the API's JSON")
    .action(async (app: string, opts: { env?: string; tenant?: string; json?: boolean }) => {
      const rows = await clientFromConfig().listRoutes(tenantOf(opts.tenant), envOf(opts.env), app);
      if (opts.json) return printJson(rows);
      printTable(
        ["ID", "URL", "TLS", "REDIRECT", "CERT VALID UNTIL"],
        rows.map((r) => [r.id, r.url, r.tls, r.redirectHttps ? "yes" : "no", r.certificate?.notAfter]),
      );
    });

  appCommand("remove", "stop serving the app at a route (by id, or by --host and --path)")
    .argument("[id]", "route id from 'berth route list'", parseIntOption(1, 1e9))
    .option("--host <host>", "the route's host")
    .option("--path <path>", "the route's path", "/")
    .action(
      async (
        app: string,
        id: number | undefined,
        opts: { env?: string; tenant?: string; host?: string; path: string },
      ) => {
        const [t, e] = [tenantOf(opts.tenant), envOf(opts.env)];
        const client = clientFromConfig();
        let routeId = id;
        if (routeId === undefined) {
          if (!opts.host) throw new CliError("give a route id or --host (and --path)");
          const match = (await client.listRoutes(t, e, app)).find(
            (r) => r.host === opts.host && r.path === opts.path,
          );
          if (!match) throw new CliError(`${app} has no route ${opts.host}${opts.path} in ${e}`);
          routeId = match.id;
        }
        await client.removeRoute(t, e, app, routeId);
        out(`Removed route ${routeId} of ${app}`);
      },
    );

  program
    .command("tls")
    .description("TLS helpers")
    .command("ca")
    .description("print the certificate of Berth's internal CA (for clients to trust)")
    .action(async () => {
      process.stdout.write(await clientFromConfig().caCertificate());
    });
}
