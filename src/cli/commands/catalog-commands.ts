import type { Command } from "commander";
import { loadConfig } from "../cli-config.js";
import { CliError } from "../cli-error.js";
import { printJson, printTable } from "../output.js";
import { serviceClientFromConfig } from "../service-api-client.js";

const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/** The tenant the catalog is read for: --tenant, else the saved one, else none (platform admins). */
const catalogTenant = (flag: string | undefined) => flag ?? loadConfig().tenant;

/** `berth catalog list|show|add` and `berth module lint`: the catalog and module authors' tools. */
export function registerCatalogCommands(program: Command): void {
  const catalog = program
    .command("catalog")
    .description("capabilities tenants may provision: databases, queues, big data");
  catalog
    .command("list")
    .description("what this tenant may use: name, versions, plans, maturity")
    .option("--tenant <tenant>", "tenant")
    .option("--json", "print the API's JSON")
    .action(async (opts: { tenant?: string; json?: boolean }) => {
      const entries = await serviceClientFromConfig().listCatalog(catalogTenant(opts.tenant));
      if (opts.json) return printJson(entries);
      printTable(
        ["CAPABILITY", "VERSION", "SERVICE", "MATURITY", "PLANS", "SCOPE", "TITLE"],
        entries.map((e) => [
          e.capability,
          e.versions[0]?.version,
          e.versions[0]?.serviceVersion,
          e.versions[0]?.maturity,
          e.plans.map((p) => (p.default ? `${p.name}*` : p.name)).join(","),
          e.versions[0]?.scope,
          e.title,
        ]),
      );
    });
  catalog
    .command("show <capability>")
    .description("plans, parameters (JSON Schema), what a binding holds, backup method")
    .option("--tenant <tenant>", "tenant")
    .option("--json", "print the API's JSON")
    .action(async (capability: string, opts: { tenant?: string; json?: boolean }) => {
      const d = await serviceClientFromConfig().showCapability(catalogTenant(opts.tenant), capability);
      if (opts.json) return printJson(d);
      out(`${d.capability}: ${d.title}`);
      if (d.description) out(`  ${d.description}`);
      out(
        `versions: ${d.versions.map((v) => `${v.version} (${v.serviceVersion}, ${v.maturity}, ${v.scope})`).join(", ")}`,
      );
      out("plans:");
      for (const p of d.plans)
        out(
          `  ${p.name}${p.default ? " (default)" : ""}: ${p.cpus} CPU, ${p.memoryMb} MiB${p.description ? ` - ${p.description}` : ""}`,
        );
      for (const [op, schema] of Object.entries(d.parameters)) {
        const props = (
          schema as {
            properties?: Record<string, { type?: string; default?: unknown; enum?: unknown[] }>;
          } | null
        )?.properties;
        if (!props) continue;
        out(`parameters (${op}):`);
        for (const [name, p] of Object.entries(props))
          out(
            `  ${name}: ${p.type ?? "any"}${p.enum ? ` one of ${p.enum.join("|")}` : ""}${p.default !== undefined ? ` (default ${JSON.stringify(p.default)})` : ""}`,
          );
      }
      out(
        `binding: type ${d.binding.type}; files ${d.binding.keys.join(", ")}; env ${d.binding.env.join(", ") || "none"}`,
      );
      out(
        `  ${d.binding.perBindingCredentials ? "each binding gets its own credentials" : "bindings share the service's access"}`,
      );
      out(
        `backup: ${d.backup ? `${d.backup.method} (${d.backup.restoreMode} restore)` : "none (stateless)"}`,
      );
      if (d.upgrades.length > 0) out(`upgrades: ${d.upgrades.map((u) => `${u.from} -> ${u.to}`).join(", ")}`);
    });
  catalog
    .command("add [dir]")
    .description(
      "add a module folder (linted, its images built); --tenant for one tenant (its owners), else for everyone (platform admins)",
    )
    .option("--tenant <tenant>", "add it for this tenant only")
    .option("--git <url>", "take the module from a git repository instead of a folder")
    .option("--ref <tag>", "with --git: the tag or branch to take")
    .option("--path <subdir>", "with --git: the module's folder inside the repository")
    .action(
      async (
        dir: string | undefined,
        opts: { tenant?: string; git?: string; ref?: string; path?: string },
      ) => {
        const { readModuleFolder } = await import("../../formats/read-module-folder.js");
        const { lintModule, problemText } = await import("../../formats/lint-module.js");
        if ((dir === undefined) === (opts.git === undefined))
          throw new CliError("give a module folder, or --git URL --ref TAG");
        let source = "upload";
        let folder = dir as string;
        let cleanup = () => {};
        if (opts.git !== undefined) {
          const { cloneModule } = await import("../clone-module.js");
          const cloned = await cloneModule(opts.git, opts.ref, opts.path);
          folder = cloned.dir;
          source = cloned.source;
          cleanup = cloned.cleanup;
        }
        let files: ReturnType<typeof readModuleFolder>;
        try {
          files = readModuleFolder(folder);
        } catch (error) {
          throw new CliError(`${dir ?? opts.git}: ${(error as Error).message}`);
        } finally {
          cleanup();
        }
        const lint = lintModule(files);
        if (!lint.manifest) throw new CliError(lint.problems.map(problemText).join("\n"));
        out(
          `Adding ${lint.manifest.id} ${lint.manifest.version}: building its images on the server (the first build installs packages; this can take a minute)`,
        );
        const r = await serviceClientFromConfig().addModule({
          tenant: opts.tenant,
          source,
          files: files.map((f) => ({
            path: f.path,
            mode: f.mode,
            data: Buffer.from(f.data).toString("base64"),
          })),
        });
        out(
          r.added
            ? `Added ${r.capability} ${r.version} to the catalog for ${r.scope === "platform" ? "every tenant" : opts.tenant}`
            : `${r.capability} ${r.version} was already in the catalog with these very files`,
        );
      },
    );

  const module = program
    .command("module")
    .description("for module authors: check a capability module folder");
  module
    .command("lint <dir>")
    .description("check a module folder as catalog add will; errors name file:line and field")
    .action(async (dir: string) => {
      const { readModuleFolder } = await import("../../formats/read-module-folder.js");
      const { lintModule, problemText } = await import("../../formats/lint-module.js");
      let files: ReturnType<typeof readModuleFolder>;
      try {
        files = readModuleFolder(dir);
      } catch (error) {
        throw new CliError(`${dir}: ${(error as Error).message}`);
      }
      const lint = lintModule(files);
      if (!lint.manifest) throw new CliError(lint.problems.map(problemText).join("\n"));
      const m = lint.manifest;
      out(
        `${m.id} ${m.version}: ok (${Object.keys(m.services).length} service(s), ${Object.keys(m.plans).length} plan(s), ${files.length} files)`,
      );
    });
}
