import type { Command } from "commander";
import type { ExceptionKind } from "../../domain/isolation.js";
import { allOf } from "../all-of.js";
import { tenantOf } from "../cli-config.js";
import { clientFromConfig } from "../client-from-config.js";
import { ago, printJson, printTable } from "../output.js";

const EXCEPTION_KINDS = allOf<ExceptionKind>()(
  "privileged",
  "host-network",
  "host-pid",
  "capabilities",
  "devices",
  "host-mounts",
  "docker-socket",
);
const out = (line: string) => process.stdout.write(`${line}\n`);

export function registerPolicyCommands(program: Command): void {
  const policy = program
    .command("policy")
    .description(
      "isolation exceptions: containers get no privileged mode, host mounts, Docker socket, host network or PID namespace, added capabilities or devices unless a platform admin grants one",
    );
  policy
    .command("grant")
    .description(
      "grant a tenant an exception (platform admins); it is recorded in the audit log with the reason",
    )
    .argument("<kind>", `one of ${EXCEPTION_KINDS.join(", ")}`)
    .argument(
      "[values...]",
      "what it covers: capabilities (NET_ADMIN), devices (/dev/fuse) or host path prefixes (/srv/shared)",
    )
    .option("--tenant <tenant>", "tenant")
    .requiredOption("--reason <text>", "why; kept with the exception")
    .action(async (k: string, values: string[], opts: { tenant?: string; reason: string }) => {
      const t = tenantOf(opts.tenant);
      const granted = await clientFromConfig().grantException(t, k as ExceptionKind, values, opts.reason);
      out(
        `Granted ${granted.kind}${granted.values.length ? ` (${granted.values.join(", ")})` : ""} to tenant ${t}`,
      );
    });
  policy
    .command("revoke")
    .description("revoke an exception: the next release relying on it is refused")
    .argument("<kind>", `one of ${EXCEPTION_KINDS.join(", ")}`)
    .option("--tenant <tenant>", "tenant")
    .action(async (k: string, opts: { tenant?: string }) => {
      const t = tenantOf(opts.tenant);
      const r = await clientFromConfig().revokeException(t, k as ExceptionKind);
      out(`Revoked ${r.kind} of tenant ${t}`);
      if (r.stillRunning.length > 0)
        out(`Still running with it until redeployed: ${r.stillRunning.join(", ")}`);
    });
  policy
    .command("list")
    .description("the exceptions a tenant holds")
    .option("--tenant <tenant>", "tenant")
    .option("--json", "print the API's JSON")
    .action(async (opts: { tenant?: string; json?: boolean }) => {
      const list = await clientFromConfig().listExceptions(tenantOf(opts.tenant));
      if (opts.json) return printJson(list);
      printTable(
        ["KIND", "COVERS", "REASON", "GRANTED BY", "WHEN"],
        list.map((x) => [x.kind, x.values.join(", "), x.reason, x.grantedBy, ago(x.grantedAt)]),
      );
    });
}
