/**
 * Deploy latency: time from `berth deploy --image` to the first HTTP 200 through the router,
 * against a baseline measured side by side in the same run: `docker run` of the same image
 * until the first HTTP 200 from the container directly. Runs alternate, so drift hits both.
 */
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import Docker from "dockerode";
import { busyboxApp } from "../test/support/app-fixture.js";
import { BERTH_BIN, BerthProcess } from "../test/support/berth-process.js";
import { freePort } from "../test/support/free-port.js";
import { getViaRouter } from "../test/support/http-via-router.js";
import { fmt, median, percentile } from "./stats.js";

const RUNS = Number(process.env.RUNS ?? 20);
const POLL_MS = 10;
// Short: docker-proxy accepts before the app listens, and a hung attempt must not add a second.
const ATTEMPT_TIMEOUT_MS = 100;

const get = (port: number, host = "127.0.0.1") =>
  getViaRouter(port, host, "/", ATTEMPT_TIMEOUT_MS).then(
    (res) => res.status,
    () => 0,
  );

async function until200(port: number, host?: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while ((await get(port, host)) !== 200) {
    if (Date.now() > deadline) throw new Error(`no 200 from 127.0.0.1:${port} ${host ?? ""} within 60 s`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: "ignore", env: env ?? process.env });
    child.on("exit", (code) => resolve(code ?? 1));
  });
}

const fixtures: string[] = [];

async function main() {
  const dockerApi = new Docker();
  const berth = await BerthProcess.start({ drainMs: 500 });
  const env = { ...process.env, BERTH_URL: berth.url, BERTH_TOKEN: berth.token };
  try {
    await berth.ok(["tenant", "create", "bench"]);
    await berth.ok(["env", "create", "dev", "--tenant", "bench"]);
    await berth.ok(["app", "create", "img", "--tenant", "bench"]);
    // Build the image once, through Berth, and deploy it by ID in every run.
    const dir = busyboxApp("bench");
    fixtures.push(dir);
    await berth.ok([
      "deploy",
      "img",
      "--tenant",
      "bench",
      "--env",
      "dev",
      "--path",
      dir,
      "--health-path",
      "/healthz",
    ]);
    const image = (
      JSON.parse(await berth.ok(["releases", "img", "--tenant", "bench", "--env", "dev", "--json"])) as {
        image: string;
      }[]
    )[0]?.image as string;
    await berth.ok(["app", "delete", "img", "--tenant", "bench"]);

    const baseline: number[] = [];
    const engineFloor: number[] = [];
    const viaBerth: number[] = [];
    const viaApi: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      // Baseline: docker run, then poll the container's published port directly.
      const port = await freePort();
      const name = `berth-bench-baseline-${i}`;
      // As a user would: `docker run -d ... && curl` until 200. (Polling before docker run returns
      // hits docker-proxy while the container's network is not wired yet; seen here to add ~0.8 s.)
      let t0 = performance.now();
      if (
        (await run("docker", [
          "run",
          "-d",
          "--rm",
          "--init",
          "--name",
          name,
          "-p",
          `127.0.0.1:${port}:8080`,
          image,
        ])) !== 0
      )
        throw new Error("docker run failed");
      await until200(port);
      baseline.push(performance.now() - t0);
      await run("docker", ["rm", "-f", name]);

      // A second, stricter baseline: the Docker API itself (what Berth calls), no CLI.
      const floorPort = await freePort();
      t0 = performance.now();
      const container = await dockerApi.createContainer({
        Image: image,
        ExposedPorts: { "8080/tcp": {} },
        HostConfig: {
          Init: true,
          PortBindings: { "8080/tcp": [{ HostIp: "127.0.0.1", HostPort: String(floorPort) }] },
        },
      });
      await container.start();
      await until200(floorPort);
      engineFloor.push(performance.now() - t0);
      await container.remove({ force: true });

      // Berth: berth deploy --image, then poll the router with the app's host name.
      const app = `app${i}`;
      await berth.ok(["app", "create", app, "--tenant", "bench"]);
      t0 = performance.now();
      const deploy = run(
        process.execPath,
        [
          BERTH_BIN,
          "deploy",
          app,
          "--tenant",
          "bench",
          "--env",
          "dev",
          "--image",
          image,
          "--health-path",
          "/healthz",
        ],
        env,
      );
      await until200(berth.routerPort, `${app}.dev.bench.localhost`);
      viaBerth.push(performance.now() - t0);
      if ((await deploy) !== 0) throw new Error(`berth deploy ${app} failed`);
      await berth.ok(["app", "delete", app, "--tenant", "bench"]);

      // The same through the REST API from a running client (as CI tools would call it): no CLI start-up.
      const apiApp = `api${i}`;
      await berth.ok(["app", "create", apiApp, "--tenant", "bench"]);
      t0 = performance.now();
      const res = await fetch(`${berth.url}/api/v1/tenants/bench/envs/dev/apps/${apiApp}/deploy`, {
        method: "POST",
        headers: { authorization: `Bearer ${berth.token}`, "content-type": "application/json" },
        body: JSON.stringify({ image, healthPath: "/healthz" }),
      });
      if (res.status !== 202) throw new Error(`deploy API answered ${res.status}`);
      await until200(berth.routerPort, `${apiApp}.dev.bench.localhost`);
      viaApi.push(performance.now() - t0);
      await berth.ok(["app", "delete", apiApp, "--tenant", "bench"]);
      process.stderr.write(
        `run ${i + 1}/${RUNS}: docker run ${fmt(baseline[i] as number)}, Docker API ${fmt(engineFloor[i] as number)}, berth deploy ${fmt(viaBerth[i] as number)}\n`,
      );
    }

    const row = (label: string, xs: number[]) =>
      `${label.padEnd(34)} median ${fmt(median(xs)).padStart(8)}   p95 ${fmt(percentile(xs, 95)).padStart(8)}`;
    console.log(`\nDeploy latency to first HTTP 200 (${RUNS} runs each, alternating)`);
    console.log(row("baseline: docker run -> container", baseline));
    console.log(row("floor: Docker API create+start", engineFloor));
    console.log(row("berth deploy --image -> router", viaBerth));
    console.log(row("POST .../deploy (REST) -> router", viaApi));
    console.log(
      `ratio (berth / baseline)            median ${(median(viaBerth) / median(baseline)).toFixed(2)}       p95 ${(percentile(viaBerth, 95) / percentile(baseline, 95)).toFixed(2)}   (goal: median <= 1.3)`,
    );
    console.log(
      `ratio (REST deploy / baseline)      median ${(median(viaApi) / median(baseline)).toFixed(2)}       p95 ${(percentile(viaApi, 95) / percentile(baseline, 95)).toFixed(2)}`,
    );
    console.log(
      `ratio (berth / Docker API floor)    median ${(median(viaBerth) / median(engineFloor)).toFixed(2)}       p95 ${(percentile(viaBerth, 95) / percentile(engineFloor, 95)).toFixed(2)}`,
    );
  } finally {
    for (const dir of fixtures) rmSync(dir, { recursive: true, force: true });
    await berth.destroy();
  }
}

void main().catch((error) => {
  console.error(error);
  process.exit(1);
});
