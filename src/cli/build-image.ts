import type { ApiClient } from "./api-client.js";
import { CliError } from "./cli-error.js";

/** Streams DIR to the server's builder, printing the log; returns the built image reference. */
export async function buildImage(
  client: ApiClient,
  tenant: string,
  app: string,
  dir: string,
  out: (line: string) => void,
): Promise<string> {
  // tar-fs and its streams load only for a build.
  const { packContext } = await import("./pack-context.js");
  const context = packContext(dir);
  out(`Building ${app} from ${dir}`);
  let image: string | undefined;
  let failure: string | undefined;
  await client.build(tenant, app, context, (line) => {
    if (line.type === "log") out(`  ${line.line}`);
    else if (line.type === "result") image = line.image;
    else failure = line.message;
  });
  if (failure || !image) throw new CliError(failure ?? "the build ended without an image");
  out(`Built ${image}`);
  return image;
}
