/**
 * What configuration costs. Side by side in one run, alternating:
 *  - a config change to live (`berth config set` on an app with 100 templated values, 10
 *    secrets and a config file, returning once the new release serves) against the baseline of
 *    a redeploy of the same image on an app with no config at all: both are one release and
 *    one rolling update, so the ratio is what resolving, sealing and mounting add;
 *  - `berth apply -f` of the tenant's own export (a no-op that still reads, opens and resolves
 *    everything) against `berth export` (reading the same state).
 * Prints median and p95 of each and the ratios.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { busyboxApp } from "../test/support/app-fixture.js";
import { BerthProcess } from "../test/support/berth-process.js";
import { fmt, median, percentile } from "./stats.js";

const RUNS = Number(process.env.RUNS ?? 15);
const APPS = Number(process.env.APPS ?? 20);

async function timed(berth: BerthProcess, args: string[]): Promise<number> {
  const t0 = performance.now();
  await berth.ok(args);
  return performance.now() - t0;
}

async function main() {
  const berth = await BerthProcess.start({ drainMs: 300 });
  const work = mkdtempSync(join(tmpdir(), "berth-bench-config-"));
  const app = busyboxApp("bench");
  const T = ["--tenant", "bench"];
  try {
    await berth.ok(["tenant", "create", "bench"]);
    await berth.ok(["env", "create", "dev", ...T]);
    for (const a of ["plain", "configured"]) {
      await berth.ok(["app", "create", a, ...T]);
      await berth.ok(["deploy", a, ...T, "--env", "dev", "--path", app, "--health-path", "/healthz"]);
    }
    const values = Array.from({ length: 100 }, (_, i) =>
      i === 0
        ? "JAVA_OPTS=-Xms${BERTH_MEMORY_MB / 2}m -Xmx${BERTH_MEMORY_MB * 3 / 4}m"
        : `KEY_${i}=v${i}-\${KEY_${i - 1}:-x}`,
    );
    await berth.ok(["config", "set", "configured", ...T, ...values, "--stage"]);
    await berth.ok([
      "secret",
      "set",
      "configured",
      ...T,
      "--env",
      "dev",
      "--stage",
      ...Array.from({ length: 10 }, (_, i) => `SECRET_${i}=s${i}`),
    ]);
    const file = join(work, "app.properties");
    writeFileSync(file, Array.from({ length: 50 }, (_, i) => `key${i}=\${KEY_${i + 1}}`).join("\n"));
    await berth.ok([
      "config",
      "file",
      "configured",
      ...T,
      "--env",
      "dev",
      "--path",
      "/app/config/app.properties",
      "--from",
      file,
    ]);
    await berth.ok(["resources", "set", "configured", ...T, "--env", "dev", "--memory", "256m"]);
    for (let i = 0; i < APPS; i++) {
      await berth.ok(["app", "create", `a${i}`, ...T]);
      await berth.ok(["config", "set", `a${i}`, ...T, ...values.slice(0, 20)]);
    }

    const redeploy: number[] = [];
    const configChange: number[] = [];
    const exportMs: number[] = [];
    const applyMs: number[] = [];
    const manifest = join(work, "berth.yaml");
    for (let i = 0; i < RUNS; i++) {
      redeploy.push(await timed(berth, ["redeploy", "plain", ...T, "--env", "dev"]));
      configChange.push(
        await timed(berth, ["config", "set", "configured", ...T, "--env", "dev", `RUN=${i}`]),
      );
      exportMs.push(await timed(berth, ["export", ...T, "-o", manifest]));
      applyMs.push(await timed(berth, ["apply", "-f", manifest]));
      process.stderr.write(
        `run ${i + 1}/${RUNS}: redeploy ${fmt(redeploy[i] as number)}, config set ${fmt(configChange[i] as number)}, export ${fmt(exportMs[i] as number)}, apply ${fmt(applyMs[i] as number)}\n`,
      );
    }
    const row = (label: string, xs: number[]) =>
      `${label.padEnd(44)} median ${fmt(median(xs)).padStart(8)}   p95 ${fmt(percentile(xs, 95)).padStart(8)}`;
    console.log(`\nConfiguration (${RUNS} runs each, alternating; ${APPS + 2} apps in the tenant)`);
    console.log(row("baseline: berth redeploy, no config -> live", redeploy));
    console.log(row("berth config set, 100 values+10 secrets+file", configChange));
    console.log(row("baseline: berth export", exportMs));
    console.log(row("berth apply -f export (no-op)", applyMs));
    console.log(
      `ratio config set / redeploy: median ${(median(configChange) / median(redeploy)).toFixed(2)}, p95 ${(percentile(configChange, 95) / percentile(redeploy, 95)).toFixed(2)}`,
    );
    console.log(
      `ratio apply / export:        median ${(median(applyMs) / median(exportMs)).toFixed(2)}, p95 ${(percentile(applyMs, 95) / percentile(exportMs, 95)).toFixed(2)}`,
    );
  } finally {
    await berth.destroy();
    rmSync(work, { recursive: true, force: true });
    rmSync(app, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
