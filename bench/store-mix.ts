/**
 * A 1,000-app API read mix on SQLite against PostgreSQL: two real servers side by side, one on
 * each store, seeded alike through the API (TENANTS tenants of APPS_PER_TENANT apps, each with a
 * staged config value in two environments), then the same mix of reads against each, alternating
 * round by round: list apps, app info, config of an app in an environment, quota, the audit log
 * of a tenant, whoami. Needs PostgreSQL: BERTH_TEST_POSTGRES_URL, or ./scripts/postgres start.
 * Prints median and p95 per store and the ratio PostgreSQL/SQLite.
 */
import { execFileSync } from "node:child_process";
import { Agent, request } from "node:http";
import { BerthProcess, REPO } from "../test/support/berth-process.js";
import { createTestDatabase } from "../test/support/postgres-test-database.js";
import { median, percentile } from "./stats.js";

const TENANTS = Number(process.env.TENANTS ?? 10);
const APPS_PER_TENANT = Number(process.env.APPS_PER_TENANT ?? 100);
const ROUNDS = Number(process.env.ROUNDS ?? 20);

process.env.BERTH_TEST_POSTGRES_URL ??= execFileSync(`${REPO}/scripts/postgres`, ["url"], {
  encoding: "utf8",
}).trim();

function call(berth: BerthProcess, agent: Agent, method: string, path: string, body?: unknown) {
  return new Promise<number>((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const t0 = performance.now();
    const req = request(
      {
        host: "127.0.0.1",
        port: berth.apiPort,
        method,
        path: `/api/v1${path}`,
        agent,
        headers: {
          authorization: `Bearer ${berth.token}`,
          ...(payload ? { "content-type": "application/json" } : {}),
        },
      },
      (res) => {
        res.resume();
        res.on("end", () => {
          if ((res.statusCode ?? 0) >= 300) reject(new Error(`${method} ${path}: ${res.statusCode}`));
          else resolve(performance.now() - t0);
        });
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

async function seed(berth: BerthProcess, agent: Agent) {
  for (let t = 0; t < TENANTS; t++) {
    const tenant = `t${t}`;
    await call(berth, agent, "POST", "/tenants", { name: tenant });
    for (const env of ["dev", "prod"])
      await call(berth, agent, "POST", `/tenants/${tenant}/envs`, { name: env });
    for (let a = 0; a < APPS_PER_TENANT; a++) {
      const app = `a${a}`;
      await call(berth, agent, "POST", `/tenants/${tenant}/apps`, { name: app });
      for (const env of ["dev", "prod"])
        await call(berth, agent, "PATCH", `/tenants/${tenant}/config`, {
          app,
          env,
          values: { LOG_LEVEL: env === "prod" ? "warn" : "debug" },
          stage: true,
        });
    }
  }
}

const mix = (i: number) => {
  const tenant = `t${i % TENANTS}`;
  const app = `a${(i * 7) % APPS_PER_TENANT}`;
  return [
    `/tenants/${tenant}/apps`,
    `/tenants/${tenant}/apps/${app}`,
    `/tenants/${tenant}/config?app=${app}&env=prod`,
    `/tenants/${tenant}/quota`,
    `/audit?tenant=${tenant}&limit=100`,
    "/whoami",
  ];
};

async function main() {
  const pgdb = await createTestDatabase();
  const sqlite = await BerthProcess.start({ resyncSeconds: 3600 });
  const postgres = await BerthProcess.start({ resyncSeconds: 3600, database: pgdb.url });
  const stores = [
    {
      name: "SQLite",
      berth: sqlite,
      agent: new Agent({ keepAlive: true, maxSockets: 1 }),
      times: [] as number[],
    },
    {
      name: "PostgreSQL",
      berth: postgres,
      agent: new Agent({ keepAlive: true, maxSockets: 1 }),
      times: [] as number[],
    },
  ];
  try {
    for (const s of stores) {
      const t0 = performance.now();
      await seed(s.berth, s.agent);
      console.log(
        `${s.name}: seeded ${TENANTS * APPS_PER_TENANT} apps in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );
    }
    for (let round = 0; round < ROUNDS; round++)
      for (const s of round % 2 === 0 ? stores : [...stores].reverse())
        for (let i = 0; i < 10; i++)
          for (const path of mix(round * 10 + i)) s.times.push(await call(s.berth, s.agent, "GET", path));
    const [a, b] = stores as [(typeof stores)[0], (typeof stores)[0]];
    for (const s of stores)
      console.log(
        `${s.name.padEnd(11)} ${s.times.length} reads: median ${median(s.times).toFixed(2)} ms, p95 ${percentile(s.times, 95).toFixed(2)} ms`,
      );
    console.log(
      `ratio PostgreSQL/SQLite: median ${(median(b.times) / median(a.times)).toFixed(2)}, p95 ${(percentile(b.times, 95) / percentile(a.times, 95)).toFixed(2)}`,
    );
  } finally {
    await sqlite.destroy();
    await postgres.destroy();
    await pgdb.drop();
  }
}

await main();
