import { type Command, Option } from "commander";
import type { Role } from "../../domain/roles.js";
import { allOf } from "../all-of.js";
import { askPassword } from "../ask.js";
import { tenantOf } from "../cli-config.js";
import { clientFromConfig } from "../client-from-config.js";
import { ago, printJson, printTable } from "../output.js";
import { parseIntOption } from "../parse-int.js";
import { parseTtlSeconds, ttlOf } from "../parse-units.js";

const ROLES = allOf<Role>()("viewer", "developer", "maintainer", "owner");
const out = (line: string) => process.stdout.write(`${line}\n`);
const role = () => new Option("--role <role>", "role in the tenant").choices(ROLES);
const when = (iso: string | null) => (iso ? iso.slice(0, 16).replace("T", " ") : "never");

export function registerIdentityCommands(program: Command): void {
  program
    .command("whoami")
    .description("the user and token you are signed in with, and your roles")
    .option("--json", "print the API's JSON")
    .action(async (opts: { json?: boolean }) => {
      const me = await clientFromConfig().whoami();
      if (opts.json) return printJson(me);
      const scope = me.token.tenant
        ? `limited to ${me.token.tenant}${me.token.env ? `/${me.token.env}` : ""}${me.token.role ? ` as ${me.token.role}` : ""}`
        : "all of your rights";
      out(
        `${me.user}${me.admin ? " (platform admin)" : ""}, token ${me.token.id} '${me.token.name}': ${scope}`,
      );
      for (const t of me.tenants) out(`  ${t.tenant}: ${t.role}`);
    });

  const user = program.command("user").description("local users (platform admins)");
  user
    .command("create <name>")
    .description("create a user; the password is asked for twice (or read with --password-stdin)")
    .option("--admin", "a platform admin: may do everything")
    .option("--password-stdin", "read the password from standard input")
    .option("--no-password", "a user who signs in only with API tokens an admin makes")
    .action(async (name: string, opts: { admin?: boolean; passwordStdin?: boolean; password: boolean }) => {
      const password = opts.password
        ? await askPassword({ stdin: opts.passwordStdin, confirm: true, prompt: `Password for ${name}: ` })
        : undefined;
      await clientFromConfig().createUser({ name, password, admin: !!opts.admin });
      out(`Created user ${name}${opts.admin ? " (platform admin)" : ""}`);
    });
  user
    .command("list")
    .option("--json", "print the API's JSON")
    .action(async (opts: { json?: boolean }) => {
      const users = await clientFromConfig().listUsers();
      if (opts.json) return printJson(users);
      printTable(
        ["NAME", "ADMIN", "PASSWORD", "TENANTS", "CREATED"],
        users.map((u) => [
          u.name,
          u.admin ? "yes" : "",
          u.hasPassword ? "set" : "-",
          u.tenants.map((t) => `${t.tenant}:${t.role}`).join(" "),
          ago(u.createdAt),
        ]),
      );
    });
  user
    .command("delete <name>")
    .description("delete a user; their memberships and tokens go with them")
    .action(async (name: string) => {
      await clientFromConfig().deleteUser(name);
      out(`Deleted user ${name}`);
    });
  user
    .command("passwd [name]")
    .description("set your password (or, as a platform admin, anyone's)")
    .option("--password-stdin", "read the password from standard input")
    .action(async (name: string | undefined, opts: { passwordStdin?: boolean }) => {
      const client = clientFromConfig();
      const who = name ?? (await client.whoami()).user;
      await client.setPassword(who, await askPassword({ stdin: opts.passwordStdin, confirm: true }));
      out(`Set the password of ${who}`);
    });

  const token = program.command("token").description("API tokens: the only credential the API accepts");
  token
    .command("create")
    .description("make a token; prints only the secret on stdout (shown this once), details on stderr")
    .option("--tenant <tenant>", "limit it to this tenant (omit for all of your rights)")
    .option("--env <env>", "limit it to this environment of the tenant")
    .addOption(role().argParser((v) => v as Role))
    .option("--name <name>", "a name to recognise it by")
    .addOption(
      new Option("--expires <lifetime>", "90m, 12h, 30d or never")
        .argParser(parseTtlSeconds)
        .default(undefined, "90d"),
    )
    .option("--json", "print the API's JSON (includes the secret)")
    .action(
      async (opts: {
        tenant?: string;
        env?: string;
        role?: Role;
        name?: string;
        expires?: number | "never";
        json?: boolean;
      }) => {
        const issued = await clientFromConfig().createToken({
          tenant: opts.tenant,
          env: opts.env,
          role: opts.role,
          name: opts.name,
          expiresInSeconds: ttlOf(opts.expires),
        });
        if (opts.json) return printJson(issued);
        const i = issued.info;
        const scope = i.tenant ? `${i.tenant}${i.env ? `/${i.env}` : ""} as ${i.role}` : "all of your rights";
        process.stderr.write(`Token ${i.id} '${i.name}': ${scope}, expires ${when(i.expiresAt)}\n`);
        out(issued.token);
      },
    );
  token
    .command("list")
    .option("--all", "every user's tokens (platform admins)")
    .option("--json", "print the API's JSON")
    .action(async (opts: { all?: boolean; json?: boolean }) => {
      const tokens = await clientFromConfig().listTokens(!!opts.all);
      if (opts.json) return printJson(tokens);
      printTable(
        ["ID", "NAME", "USER", "KIND", "TENANT", "ENV", "ROLE", "EXPIRES", "LAST USED", "STATE"],
        tokens.map((t) => [
          t.id,
          t.name,
          t.user,
          t.kind,
          t.tenant,
          t.env,
          t.role,
          when(t.expiresAt),
          t.lastUsedAt ? ago(t.lastUsedAt) : "-",
          t.revokedAt
            ? "revoked"
            : t.expiresAt && Date.parse(t.expiresAt) <= Date.now()
              ? "expired"
              : "active",
        ]),
      );
    });
  token
    .command("revoke")
    .description("revoke a token: its very next request is refused")
    .argument("<id>", "the token's id (berth token list)", parseIntOption(1, Number.MAX_SAFE_INTEGER))
    .action(async (id: number) => {
      const t = await clientFromConfig().revokeToken(id);
      out(`Revoked token ${t.id} '${t.name}' of ${t.user}`);
    });

  const member = program.command("member").description("who belongs to a tenant, with which role");
  member
    .command("add <user>")
    .description("add a member, or change a member's role")
    .option("--tenant <tenant>", "tenant")
    .addOption(role().makeOptionMandatory())
    .action(async (name: string, opts: { tenant?: string; role: Role }) => {
      const t = tenantOf(opts.tenant);
      const m = await clientFromConfig().putMember(t, name, opts.role);
      out(`${m.user} is ${m.role} of tenant ${t}`);
    });
  member
    .command("remove <user>")
    .option("--tenant <tenant>", "tenant")
    .action(async (name: string, opts: { tenant?: string }) => {
      const t = tenantOf(opts.tenant);
      await clientFromConfig().removeMember(t, name);
      out(`Removed ${name} from tenant ${t}`);
    });
  member
    .command("list")
    .option("--tenant <tenant>", "tenant")
    .option("--json", "print the API's JSON")
    .action(async (opts: { tenant?: string; json?: boolean }) => {
      const members = await clientFromConfig().listMembers(tenantOf(opts.tenant));
      if (opts.json) return printJson(members);
      printTable(
        ["USER", "ROLE", "SINCE"],
        members.map((m) => [m.user, m.role, ago(m.since)]),
      );
    });
}
