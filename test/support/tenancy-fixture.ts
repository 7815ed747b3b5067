import { createHash } from "node:crypto";
import { join } from "node:path";
import SqliteDatabase from "better-sqlite3";
import Docker from "dockerode";
import { BerthProcess } from "./berth-process.js";

export interface ApiAnswer {
  status: number;
  body: any;
}

/** One REST call as any client would make it. */
export async function api(
  berth: BerthProcess,
  method: string,
  path: string,
  options: { token?: string | null; body?: unknown; rawBody?: string; contentType?: string } = {},
): Promise<ApiAnswer> {
  const headers: Record<string, string> = {};
  const token = options.token === undefined ? berth.token : options.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (options.rawBody !== undefined) {
    body = options.rawBody;
    headers["content-type"] = options.contentType ?? "application/json";
  } else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers["content-type"] = "application/json";
  }
  const res = await fetch(`${berth.url}/api/v1${path}`, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // text/plain answers (logs, the CA) stay text
  }
  return { status: res.status, body: parsed };
}

/** Fails with the API's own words unless the call answered 2xx. */
export async function ok(berth: BerthProcess, method: string, path: string, body?: unknown, token?: string) {
  const r = await api(berth, method, path, { body, token });
  if (r.status < 200 || r.status >= 300)
    throw new Error(`${method} ${path} answered ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body;
}

export const PASSWORD = "a long enough passphrase";

/** Signs a user in with their password and returns the session token. */
export async function signIn(berth: BerthProcess, user: string): Promise<string> {
  return (await ok(berth, "POST", "/sessions", { user, password: PASSWORD }, "")).token as string;
}

/** Deploys a 1 MB busybox httpd (serving /etc, healthy at /hostname) and waits until it serves. */
export async function deployHttpd(
  berth: BerthProcess,
  tenant: string,
  env: string,
  app: string,
): Promise<void> {
  await ok(berth, "PATCH", `/tenants/${tenant}/settings`, {
    app,
    env,
    settings: { command: ["httpd", "-f", "-p", "8080", "-h", "/etc"], cpus: 0.1, memoryMb: 32 },
    stage: true,
  });
  await ok(berth, "POST", `/tenants/${tenant}/envs/${env}/apps/${app}/deploy`, {
    image: "berth/busybox:latest",
    port: 8080,
    healthPath: "/hostname",
  });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const d = await ok(berth, "GET", `/tenants/${tenant}/envs/${env}/apps/${app}/deployment`);
    if (d.phase === "serving") return;
    if (d.phase === "failed") throw new Error(`${app} in ${env} failed: ${d.message}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${app} in ${env} did not serve within 60 s`);
}

/**
 * What "nothing changed" means: every row of every table but the audit log (which records
 * refusals by design) and the tokens' last-used hint, plus every Docker object this server owns.
 */
export async function snapshot(berth: BerthProcess): Promise<{ store: string; engine: string }> {
  const db = new SqliteDatabase(join(berth.dataDir, "berth.db"), { readonly: true, fileMustExist: true });
  const hash = createHash("sha256");
  try {
    const tables = db
      .prepare(
        "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name",
      )
      .all() as { name: string }[];
    for (const { name } of tables) {
      // The audit log (and the head of its hash chain) records refused calls too; replica status
      // and deployment status are what the reconciler observes, rewritten on its own timer.
      if (["audit_log", "audit_chain", "replica_status", "deployment_status"].includes(name)) continue;
      const rows = db.prepare(`select * from "${name}" order by rowid`).all() as Record<string, unknown>[];
      for (const row of rows) {
        if (name === "api_tokens") delete row.last_used_at;
        hash.update(`${name}:${JSON.stringify(row)}\n`);
      }
    }
  } finally {
    db.close();
  }
  const docker = new Docker();
  const label = [`berth.instance=${berth.instanceId()}`];
  const containers = (await docker.listContainers({ all: true, filters: { label } }))
    .map((c) => `${c.Id}:${c.State}:${JSON.stringify(c.Labels)}`)
    .sort();
  const networks = (await docker.listNetworks({ filters: { label } })).map((n) => `${n.Name}:${n.Id}`).sort();
  const volumes = ((await docker.listVolumes({ filters: { label } })).Volumes ?? [])
    .map((v) => v.Name)
    .sort();
  return { store: hash.digest("hex"), engine: JSON.stringify({ containers, networks, volumes }) };
}

/** A second server-side view the audit log gives: the last entries, newest last. */
export async function auditTail(berth: BerthProcess, n: number) {
  return (await ok(berth, "GET", `/audit?limit=${n}`)) as {
    actor: string;
    action: string;
    target: string;
    result: number;
    detail: string | null;
    tenant: string | null;
  }[];
}

/**
 * Two tenants on one real server, the way a platform team sets them up:
 *  - acme: owner, maintainer, developer and viewer users; dev (open) and prod (protected);
 *    app web serving in dev and prod, with a custom route and a link from dev to prod;
 *  - globex: its own owner, app api serving in prod.
 * Tokens: each user's session, plus a revoked session of acme's owner.
 */
export async function twoTenants(berth: BerthProcess) {
  const users = ["acme-owner", "acme-maint", "acme-dev", "acme-viewer", "globex-owner"];
  for (const name of users) await ok(berth, "POST", "/users", { name, password: PASSWORD });
  await ok(berth, "POST", "/tenants", { name: "acme", owner: "acme-owner" });
  await ok(berth, "POST", "/tenants", { name: "globex", owner: "globex-owner" });
  for (const [user, role] of [
    ["acme-maint", "maintainer"],
    ["acme-dev", "developer"],
    ["acme-viewer", "viewer"],
  ])
    await ok(berth, "PUT", "/tenants/acme/members", { user, role });
  for (const env of ["dev", "prod"]) await ok(berth, "POST", "/tenants/acme/envs", { name: env });
  await ok(berth, "POST", "/tenants/globex/envs", { name: "prod" });
  await ok(berth, "POST", "/tenants/acme/apps", { name: "web" });
  await ok(berth, "POST", "/tenants/globex/apps", { name: "api" });
  await deployHttpd(berth, "acme", "dev", "web");
  await deployHttpd(berth, "acme", "prod", "web");
  await deployHttpd(berth, "globex", "prod", "api");
  await ok(berth, "PUT", "/tenants/acme/envs/prod/protection", { minRole: "maintainer" });
  const route = await ok(berth, "POST", "/tenants/acme/envs/dev/apps/web/routes", {
    host: "web.example.test",
  });
  const link = await ok(berth, "POST", "/tenants/acme/envs/dev/apps/web/links", { env: "prod", app: "web" });
  await ok(berth, "PATCH", "/tenants/acme/config", {
    app: "web",
    env: "dev",
    secrets: { DB_PASSWORD: "s3cret-Zq9" },
    stage: true,
  });

  const tokens: Record<string, string> = {};
  for (const name of users) tokens[name] = await signIn(berth, name);
  const revoked = (await ok(berth, "POST", "/sessions", { user: "acme-owner", password: PASSWORD }, "")) as {
    token: string;
    info: { id: number };
  };
  await ok(berth, "DELETE", `/tokens/${revoked.info.id}`, undefined, revoked.token);
  const ownerToken = (await ok(berth, "GET", "/tokens", undefined, tokens["acme-owner"])) as { id: number }[];
  return {
    tokens: tokens as Record<(typeof users)[number], string>,
    revoked: revoked.token,
    /** Ids that path parameters need. */
    ids: { route: route.id as number, link: link.id as number, ownerToken: ownerToken[0]?.id as number },
  };
}

export async function startServer(): Promise<BerthProcess> {
  // No resync during the suite: a background pass must not look like a change a call made.
  return BerthProcess.start({ resyncSeconds: 3600 });
}
