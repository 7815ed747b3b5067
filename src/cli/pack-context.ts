import { existsSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { Readable } from "node:stream";
import dockerignoreModule from "@balena/dockerignore";
import { pack } from "tar-fs";
import { CliError } from "./cli-error.js";

// The package is CommonJS with a `default` property; under NodeNext its types see only the namespace.
const dockerignore = dockerignoreModule.default;

/** Tars a build context the way `docker build` would, honouring .dockerignore. */
export function packContext(dir: string): Readable {
  const root = resolve(dir);
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new CliError(`'${dir}' is not a directory`);
  if (!existsSync(join(root, "Dockerfile")))
    throw new CliError(`'${dir}' has no Dockerfile; --path needs a directory with a Dockerfile at its root`);
  const ignoreFile = join(root, ".dockerignore");
  const rules = existsSync(ignoreFile) ? readFileSync(ignoreFile, "utf8") : "";
  const matcher = dockerignore({ ignorecase: false }).add(rules);
  const tar = pack(root, {
    ignore: (name) => {
      const rel = relative(root, name);
      // The Dockerfile and .dockerignore always go, as with docker build.
      if (rel === "" || rel === "Dockerfile" || rel === ".dockerignore") return false;
      return matcher.ignores(rel);
    },
  });
  // tar-fs returns a streamx stream; fetch and dockerode want a Node stream.
  return Readable.from(tar as AsyncIterable<Buffer>, { objectMode: false });
}
