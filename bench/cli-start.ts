/**
 * CLI start-up: how long `berth --version` and `berth whoami` take from spawn to exit, against a
 * baseline measured side by side in the same run: `node -e 0`, Node starting and doing nothing.
 * whoami asks a real server (started here on free ports with a temp data dir, then removed with
 * its nginx). Runs alternate, so drift hits all three alike; the first WARMUP rounds are dropped.
 */
import { spawn } from "node:child_process";
import { BERTH_BIN, BerthProcess } from "../test/support/berth-process.js";
import { fmt, median, percentile } from "./stats.js";

const RUNS = Number(process.env.RUNS ?? 30);
const WARMUP = 3;

/** Wall time from spawn to exit (ms); fails on a non-zero exit, as a broken CLI must not look fast. */
function timed(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { stdio: "ignore", env });
    child.on("error", reject);
    child.on("exit", (code) => {
      const ms = performance.now() - t0;
      if (code === 0) resolve(ms);
      else reject(new Error(`node ${args.join(" ")} exited ${code}`));
    });
  });
}

async function main() {
  const berth = await BerthProcess.start();
  try {
    // The server and token in the environment, no saved config, and nothing else: NODE_OPTIONS or
    // NODE_EXTRA_CA_CERTS (a CA bundle Node parses on every start) would add the same time to the
    // baseline and to berth, and flatter the ratio.
    const env = {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: berth.configHome,
      XDG_CONFIG_HOME: berth.configHome,
      BERTH_URL: berth.url,
      BERTH_TOKEN: berth.token,
    };
    const cases = [
      { label: "baseline: node -e 0", args: ["-e", "0"], times: [] as number[] },
      { label: "berth --version", args: [BERTH_BIN, "--version"], times: [] as number[] },
      { label: "berth whoami (real server)", args: [BERTH_BIN, "whoami"], times: [] as number[] },
    ];
    for (let i = 0; i < WARMUP + RUNS; i++) {
      for (const c of cases) {
        const ms = await timed(c.args, env);
        if (i >= WARMUP) c.times.push(ms);
      }
      if (i >= WARMUP)
        process.stderr.write(
          `run ${i - WARMUP + 1}/${RUNS}: ${cases.map((c) => `${c.label.split(" (")[0]} ${fmt(c.times.at(-1) as number)}`).join(", ")}\n`,
        );
    }

    const [baseline, version, whoami] = cases as [(typeof cases)[0], (typeof cases)[0], (typeof cases)[0]];
    const row = (c: (typeof cases)[0]) =>
      `${c.label.padEnd(30)} median ${fmt(median(c.times)).padStart(7)}   p95 ${fmt(percentile(c.times, 95)).padStart(7)}`;
    const ratio = (label: string, c: (typeof cases)[0], goal = "") =>
      `${`ratio (${label} / node -e 0)`.padEnd(30)} median ${(median(c.times) / median(baseline.times)).toFixed(2).padStart(7)}   p95 ${(percentile(c.times, 95) / percentile(baseline.times, 95)).toFixed(2).padStart(7)}${goal}`;
    console.log(`\nCLI start-up, spawn to exit (${RUNS} runs each, alternating)`);
    for (const c of cases) console.log(row(c));
    console.log(ratio("--version", version, "   (goal: median <= 1.3)"));
    console.log(ratio("whoami", whoami));
  } finally {
    await berth.destroy();
  }
}

void main().catch((error) => {
  console.error(error);
  process.exit(1);
});
