/**
 * Module boundaries (see docs/architecture.md). Paths match `src/<module>/` anywhere, so the
 * test fixtures under test/fixtures/boundaries/ are judged by the very same rules. The workspace
 * packages (packages/NAME/src/) are not Berth's src/: they have rules of their own below.
 */
const mod = (name) => `(^|/)src/${name}/`;
const PACKAGES = "(^|/)packages/";
const CLIENT = "(^|/)packages/client/";
const allowedOnlyAsTypes = (from, to) => ({
  name: `${from}-imports-${to}-types-only`,
  comment: `${from}/ may use ${to}/ types, never its code: concrete parts are wired in main.ts`,
  severity: "error",
  from: { path: mod(from) },
  to: { path: mod(to), dependencyTypesNot: ["type-only"] },
});
const mayImport = (from, allowed) => ({
  name: `${from}-imports-only-${allowed.join("-")}`,
  comment: `${from}/ may import only ${allowed.join(", ")}`,
  severity: "error",
  from: { path: mod(from) },
  to: { path: "(^|/)src/", pathNot: [`(^|/)src/(${[from, ...allowed].join("|")})/`, PACKAGES] },
});

module.exports = {
  forbidden: [
    { name: "no-circular", severity: "error", from: {}, to: { circular: true } },
    mayImport("domain", []),
    mayImport("store", ["domain"]),
    mayImport("engines", ["domain"]),
    mayImport("router", ["domain"]),
    mayImport("metrics", ["domain"]),
    mayImport("tls", ["domain"]),
    mayImport("config", ["domain"]),
    mayImport("crypto", ["domain"]),
    // Pure readers of files users write (capability modules, YAML positions); the CLI lints with them.
    mayImport("formats", ["domain", "config"]),
    mayImport("registry", []),
    mayImport("reconciler", ["domain", "config", "formats", "engines", "store", "router"]),
    allowedOnlyAsTypes("reconciler", "engines"),
    allowedOnlyAsTypes("reconciler", "store"),
    allowedOnlyAsTypes("reconciler", "router"),
    mayImport("services", ["domain", "config", "formats", "store", "reconciler"]),
    allowedOnlyAsTypes("services", "store"),
    allowedOnlyAsTypes("services", "reconciler"),
    mayImport("api", ["services", "domain"]),
    allowedOnlyAsTypes("api", "services"),
    mayImport("cli", ["api", "domain", "formats"]),
    allowedOnlyAsTypes("cli", "api"),
    allowedOnlyAsTypes("cli", "domain"),
    {
      name: "client-imports-nothing-from-src",
      comment: "@berth/client (packages/client) stands alone, typed by the OpenAPI document: no src/",
      severity: "error",
      from: { path: CLIENT },
      to: { path: "(^|/)src/", pathNot: PACKAGES },
    },
    {
      name: "client-imports-no-node-builtins",
      comment: "@berth/client runs in browsers too: fetch, URL and web streams, never node: modules",
      severity: "error",
      from: { path: CLIENT },
      to: { dependencyTypes: ["core"] },
    },
    {
      name: "only-cli-imports-client",
      comment: "the API client is the CLI's: nothing else in src/ calls the API over HTTP",
      severity: "error",
      from: { path: "(^|/)src/", pathNot: ["(^|/)src/cli/", PACKAGES] },
      to: { path: CLIENT },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    doNotFollow: { path: "node_modules" },
    exclude: { path: "node_modules" },
    enhancedResolveOptions: { extensions: [".ts", ".js"] },
  },
};
