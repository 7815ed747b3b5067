/**
 * What tenancy costs an API call. Side by side in one run, interleaved in rounds:
 *  - a read (GET releases of an app in a protected environment) with the bootstrap admin token,
 *    which is allowed at once, against the same read with a developer's session token, which
 *    looks up the membership and the environment's protection first;
 *  - a write (scale, in a tenant with 30 deployments) in a tenant without quotas against the
 *    same write in a tenant with quotas, where usage is summed before and after the change;
 *  - sign-in (scrypt, N=2^17), against the token read it replaces (for scale, not a ratio goal).
 * Prints median and p95 of each and the ratios.
 */
import { Agent, request } from "node:http";
import { BerthProcess } from "../test/support/berth-process.js";
import { median, percentile } from "./stats.js";

const REQUESTS = Number(process.env.REQUESTS ?? 2000);
const ROUNDS = 10;
const DEPLOYMENTS = Number(process.env.DEPLOYMENTS ?? 30);
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

function call(berth: BerthProcess, method: string, path: string, token: string | null, body?: unknown) {
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
          ...(token ? { authorization: `Bearer ${token}` } : {}),
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

async function json(berth: BerthProcess, method: string, path: string, body?: unknown, token = berth.token) {
  const res = await fetch(`${berth.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.status === 204 ? undefined : res.json();
}

async function main() {
  const berth = await BerthProcess.start({ resyncSeconds: 3600 });
  try {
    const password = "a long enough passphrase";
    await json(berth, "POST", "/users", { name: "dev", password });
    for (const t of ["free", "capped"]) {
      await json(berth, "POST", "/tenants", { name: t });
      await json(berth, "PUT", `/tenants/${t}/members`, { user: "dev", role: "developer" });
      await json(berth, "POST", `/tenants/${t}/envs`, { name: "prod" });
      await json(berth, "PUT", `/tenants/${t}/envs/prod/protection`, { minRole: "maintainer" });
      for (let i = 0; i < DEPLOYMENTS; i++) {
        await json(berth, "POST", `/tenants/${t}/apps`, { name: `a${i}` });
        // Zero replicas: a deployment with a release, as quotas count it, and no container to start.
        await json(berth, "PATCH", `/tenants/${t}/settings`, {
          app: `a${i}`,
          env: "prod",
          settings: { cpus: 0.1, memoryMb: 64 },
          stage: true,
        });
        await json(berth, "POST", `/tenants/${t}/envs/prod/apps/a${i}/deploy`, {
          image: "berth/busybox:latest",
          replicas: 0,
        });
      }
    }
    await json(berth, "PUT", "/tenants/capped/quota", {
      cpus: 100,
      memoryMb: 100_000,
      replicas: 1000,
      apps: 1000,
    });
    const session = (await json(berth, "POST", "/sessions", { user: "dev", password }, "")) as {
      token: string;
    };

    const read = "/tenants/free/envs/prod/apps/a0/releases";
    const samples = {
      admin: [] as number[],
      member: [] as number[],
      free: [] as number[],
      capped: [] as number[],
    };
    for (let i = 0; i < 50; i++) {
      await call(berth, "GET", read, berth.token);
      await call(berth, "GET", read, session.token);
    }
    const per = Math.ceil(REQUESTS / ROUNDS);
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < per; i++) samples.admin.push(await call(berth, "GET", read, berth.token));
      for (let i = 0; i < per; i++) samples.member.push(await call(berth, "GET", read, session.token));
      for (let i = 0; i < per / 10; i++)
        samples.free.push(
          await call(berth, "POST", "/tenants/free/envs/prod/apps/a0/scale", berth.token, { replicas: 0 }),
        );
      for (let i = 0; i < per / 10; i++)
        samples.capped.push(
          await call(berth, "POST", "/tenants/capped/envs/prod/apps/a0/scale", berth.token, { replicas: 0 }),
        );
      process.stderr.write(`round ${round + 1}/${ROUNDS}\n`);
    }
    const logins: number[] = [];
    for (let i = 0; i < 10; i++)
      logins.push(await call(berth, "POST", "/sessions", null, { user: "dev", password }));

    const us = (ms: number) => `${(ms * 1000).toFixed(0)} µs`;
    const row = (label: string, xs: number[]) =>
      `${label.padEnd(52)} median ${us(median(xs)).padStart(9)}   p95 ${us(percentile(xs, 95)).padStart(9)}   (n=${xs.length})`;
    const ratio = (label: string, a: number[], b: number[]) =>
      `${label.padEnd(36)} median ${(median(b) / median(a)).toFixed(2)}   p95 ${(percentile(b, 95) / percentile(a, 95)).toFixed(2)}`;
    console.log(
      `\nTenancy (${ROUNDS} interleaved rounds, one keep-alive connection, ${DEPLOYMENTS} deployments per tenant)`,
    );
    console.log(row("baseline: read, bootstrap admin token", samples.admin));
    console.log(row("read, developer session (membership + protection)", samples.member));
    console.log(row("baseline: scale, tenant without quotas", samples.free));
    console.log(row("scale, tenant with quotas (usage summed twice)", samples.capped));
    console.log(row("sign-in (scrypt N=2^17)", logins));
    console.log(ratio("ratio member read / admin read:", samples.admin, samples.member));
    console.log(ratio("ratio scale with quotas / without:", samples.free, samples.capped));
  } finally {
    agent.destroy();
    await berth.destroy();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
