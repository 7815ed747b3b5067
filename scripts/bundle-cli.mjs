// Bundles the `berth` CLI (src/berth.ts, src/cli/, packages/client/ and the libraries they use)
// into one CommonJS file, dist/berth.cjs, for a fast start (docs/decisions.md): a client
// command reads one file instead of ~150 modules, and as CommonJS it skips Node's ES module
// loader, which alone costs about a quarter of `node -e 0`. Libraries only some commands use
// (yaml, tar, the password prompt) are in the file but run only when a command imports them.
// Then it writes V8's code cache for the bundle, dist/berth.cjs.v8cache, which bin/berth runs
// it from (compiling the bundle would cost a client command another quarter of `node -e 0`).
// tsc emits the server's modules into dist/ as before (tsconfig.build.json): `berth server` and
// `berth admin migrate-store` import those (./main.js, ./server-config.js, ./store/copy-store.js)
// lazily, so client commands never parse the server's code.
//   node scripts/bundle-cli.mjs          (npm run build runs it; BERTH_BUNDLE_MINIFY=0 to read it)
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { build } from "esbuild";

/** The imports src/berth.ts makes lazily, kept as imports of tsc's output next to the bundle. */
const SERVER_SIDE = /^\.\/(main|server-config|store\/copy-store)\.js$/;

// What earlier builds put there and nothing runs any more: tsc's CLI modules, the ES module bundle.
for (const stale of ["dist/cli", "dist/berth.js", "dist/berth.js.map", "dist/berth.cjs.v8cache"])
  rmSync(stale, { recursive: true, force: true });

await build({
  entryPoints: ["src/berth.ts"],
  outfile: "dist/berth.cjs",
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  minify: process.env.BERTH_BUNDLE_MINIFY !== "0",
  sourcemap: true,
  legalComments: "eof",
  logLevel: "warning",
  // openapi-fetch names the Headers and FormData globals, and naming either makes Node load
  // undici, its fetch implementation. The CLI's node:http fetch needs neither: small local ones.
  inject: ["src/cli/bundle-globals.ts"],
  plugins: [
    {
      // Commander loads node:child_process (and net and stream with it) to run executable
      // subcommands, which berth has none of: it gets it when it first uses it, i.e. never.
      name: "commander-child-process-on-use",
      setup(b) {
        b.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
          /[\\/]node_modules[\\/]commander[\\/]/.test(args.importer)
            ? { path: "child_process", namespace: "on-use" }
            : undefined,
        );
        b.onLoad({ filter: /.*/, namespace: "on-use" }, () => ({
          contents: 'module.exports = new Proxy({}, { get: (_, name) => require("node:child_process")[name] });',
          loader: "js",
        }));
      },
    },
    {
      name: "server-side-stays-out",
      setup(b) {
        // Kept as import() (Node 20 runs ES modules from CommonJS that way), resolved next to the bundle.
        b.onResolve({ filter: SERVER_SIDE }, (args) =>
          args.importer.endsWith("src/berth.ts") ? { path: args.path, external: true } : undefined,
        );
      },
    },
  ],
});

// The code cache, made by running the bundle the way bin/berth does, for --version: V8 caches
// what every command runs (the bundle's top level, the program's setup); the rest compiles when
// used. (A cache made for --help, with every command's definition in it, is twice the size and
// was slower to read than what it saves for the one group a command defines.)
execFileSync(process.execPath, ["bin/berth", "--version"], {
  env: { ...process.env, BERTH_V8_CACHE: "write" },
  stdio: "ignore",
});
