import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BerthProcess } from "../support/berth-process.js";

/**
 * Builds on the base image reach Debian's mirror over HTTP and the npm registry over HTTPS,
 * trusting the CA bundle scripts/setup baked into berth/debian:bookworm.
 */
describe("builds on the Berth base image", () => {
  let berth: BerthProcess;
  let dir: string;

  beforeAll(async () => {
    berth = await BerthProcess.start();
    await berth.ok(["tenant", "create", "builds"]);
    await berth.ok(["env", "create", "dev", "--tenant", "builds"]);
    await berth.ok(["app", "create", "net", "--tenant", "builds"]);
    dir = mkdtempSync(join(tmpdir(), "berth-build-"));
    writeFileSync(
      join(dir, "Dockerfile"),
      [
        "FROM berth/debian:bookworm",
        // Debian's mirror, plain HTTP (python3 is also the example app's layer, so often cached).
        "RUN apt-get update && apt-get install -y --no-install-recommends python3 && rm -rf /var/lib/apt/lists/*",
        // A new value every run, so Docker's layer cache never skips the fetch below.
        `ENV BERTH_TEST_RUN=${Date.now()}`,
        // The npm registry over HTTPS, verified against the baked-in bundle named by SSL_CERT_FILE.
        `RUN python3 -c "import json, os, ssl, urllib.request; ctx = ssl.create_default_context(cafile=os.environ['SSL_CERT_FILE']); print('npm registry says is-number latest', json.load(urllib.request.urlopen('https://registry.npmjs.org/is-number', context=ctx, timeout=20))['dist-tags']['latest'])"`,
        "",
      ].join("\n"),
    );
  });
  afterAll(async () => {
    await berth?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it("installs from the mirror and fetches from the npm registry over verified HTTPS", async () => {
    const { ApiClient } = await import("../../src/cli/api-client.js");
    const { packContext } = await import("../../src/cli/pack-context.js");
    const client = new ApiClient(berth.url, berth.token);
    const log: string[] = [];
    let result: { image: string; imageId: string } | undefined;
    let failure: string | undefined;
    await client.build("builds", "net", packContext(dir), (line) => {
      if (line.type === "log") log.push(line.line);
      else if (line.type === "result") result = line;
      else failure = line.message;
    });
    expect(failure).toBeUndefined();
    expect(log.join("\n")).toMatch(/npm registry says is-number latest \d+\.\d+\.\d+/);
    expect(result?.image).toMatch(/^berth\/builds\/net:build-\d+$/);
    expect(result?.imageId).toMatch(/^sha256:[0-9a-f]{64}$/);
  }, 240_000);
});
