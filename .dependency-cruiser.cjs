/**
 * Module boundaries (see docs/architecture.md). Paths match `src/<module>/` anywhere, so the
 * test fixtures under test/fixtures/boundaries/src/ are judged by the very same rules.
 */
const mod = (name) => `(^|/)src/${name}/`;
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
  to: { path: "(^|/)src/", pathNot: [`(^|/)src/(${[from, ...allowed].join("|")})/`] },
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
    mayImport("registry", []),
    mayImport("reconciler", ["domain", "config", "engines", "store", "router"]),
    allowedOnlyAsTypes("reconciler", "engines"),
    allowedOnlyAsTypes("reconciler", "store"),
    allowedOnlyAsTypes("reconciler", "router"),
    mayImport("services", ["domain", "config", "store", "reconciler"]),
    allowedOnlyAsTypes("services", "store"),
    allowedOnlyAsTypes("services", "reconciler"),
    mayImport("api", ["services", "domain"]),
    allowedOnlyAsTypes("api", "services"),
    mayImport("cli", ["api", "domain"]),
    allowedOnlyAsTypes("cli", "api"),
    allowedOnlyAsTypes("cli", "domain"),
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    doNotFollow: { path: "node_modules" },
    exclude: { path: "node_modules" },
    enhancedResolveOptions: { extensions: [".ts", ".js"] },
  },
};
