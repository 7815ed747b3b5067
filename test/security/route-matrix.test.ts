import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BerthProcess } from "../support/berth-process.js";
import { api, snapshot, startServer, twoTenants } from "../support/tenancy-fixture.js";

/**
 * Every route of /api/v1/openapi.json, called as four identities against tenant acme's objects:
 * no token, a revoked token (of acme's owner, so only revocation can explain a refusal), acme's
 * viewer, and globex's owner. The expected answer of each cell is written here by hand; the
 * suite fails for a route that has none, so a new route cannot ship unjudged. After every call
 * the store and the engine must be exactly as before.
 */
type Want = "allow" | 403 | 404;
interface Entry {
  viewer: Want;
  other: Want;
  /** A body that names the tenant, for routes that read their scope from the body. */
  body?: unknown;
  query?: string;
}
const PUBLIC = new Set(["POST /sessions", "GET /schemas/berth.yaml.json", "GET /healthz"]);
const T = "/tenants/{tenant}";
const APP = `${T}/envs/{env}/apps/{app}`;
const R: Entry = { viewer: "allow", other: 404 };
const W: Entry = { viewer: 403, other: 404 };
const ADMIN: Entry = { viewer: 403, other: 403 };
const SELF: Entry = { viewer: "allow", other: "allow" };

const MATRIX: Record<string, Entry> = {
  "GET /whoami": SELF,
  "GET /users": ADMIN,
  "POST /users": ADMIN,
  "DELETE /users/{user}": ADMIN,
  "PUT /users/{user}/password": ADMIN,
  "GET /tokens": SELF,
  // A token for acme as its owner: more than a viewer holds, and nothing for globex's owner.
  "POST /tokens": { viewer: 403, other: 404, body: { tenant: "acme", role: "owner" } },
  "DELETE /tokens/{id}": { viewer: 404, other: 404 },
  "GET /tenants": SELF,
  "POST /tenants": ADMIN,
  [`DELETE ${T}`]: { viewer: 403, other: 404 },
  [`GET ${T}/envs`]: R,
  [`POST ${T}/envs`]: W,
  [`DELETE ${T}/envs/{env}`]: W,
  [`PUT ${T}/envs/{env}/protection`]: W,
  [`DELETE ${T}/envs/{env}/protection`]: W,
  [`GET ${T}/members`]: R,
  [`PUT ${T}/members`]: W,
  [`DELETE ${T}/members/{user}`]: W,
  [`GET ${T}/quota`]: R,
  [`PUT ${T}/quota`]: W,
  [`GET ${T}/exceptions`]: R,
  [`PUT ${T}/exceptions/{kind}`]: W,
  [`DELETE ${T}/exceptions/{kind}`]: W,
  [`GET ${T}/apps`]: R,
  [`POST ${T}/apps`]: W,
  [`GET ${T}/apps/{app}`]: R,
  [`DELETE ${T}/apps/{app}`]: W,
  [`POST ${T}/apps/{app}/builds`]: W,
  [`POST ${T}/apps/{app}/promote`]: W,
  [`POST ${APP}/deploy`]: W,
  [`POST ${APP}/rollback`]: W,
  [`POST ${APP}/redeploy`]: W,
  [`POST ${APP}/scale`]: W,
  [`GET ${APP}/deployment`]: R,
  [`GET ${APP}/releases`]: R,
  [`GET ${APP}/events`]: R,
  [`GET ${APP}/containers`]: R,
  [`GET ${APP}/logs`]: R,
  [`POST ${APP}/canary`]: W,
  [`GET ${APP}/canary`]: R,
  [`PATCH ${APP}/canary/rules`]: W,
  [`POST ${APP}/canary/promote`]: W,
  [`POST ${APP}/canary/abort`]: W,
  [`POST ${APP}/routes`]: W,
  [`GET ${APP}/routes`]: R,
  [`DELETE ${APP}/routes/{id}`]: W,
  [`POST ${APP}/links`]: W,
  [`GET ${APP}/links`]: R,
  [`DELETE ${APP}/links/{id}`]: W,
  [`GET ${APP}/config/diff`]: R,
  [`PATCH ${T}/config`]: W,
  [`GET ${T}/config`]: R,
  [`PUT ${T}/config/files`]: W,
  [`POST ${T}/config/files/remove`]: W,
  [`PATCH ${T}/settings`]: W,
  [`GET ${T}/settings`]: { viewer: "allow", other: 404, query: "app=web&env=dev" },
  "POST /apply": { viewer: 403, other: 404, body: { manifest: { apiVersion: "berth/v1", tenant: "acme" } } },
  "GET /export": { viewer: "allow", other: 404, query: "tenant=acme" },
  "GET /audit": { viewer: 403, other: 404, query: "tenant=acme" },
  "GET /audit/export": { viewer: 403, other: 404, query: "tenant=acme" },
  "GET /audit/verify": ADMIN,
  "POST /admin/rotate-key": ADMIN,
  "GET /admin/backup": ADMIN,
  [`PUT ${APP}/burst`]: W,
  [`GET ${APP}/burst`]: R,
  [`DELETE ${APP}/burst`]: W,
  // Clusters are the platform's; no tenant role reaches them.
  "POST /clusters": ADMIN,
  "GET /clusters": ADMIN,
  "GET /clusters/{cluster}": ADMIN,
  "DELETE /clusters/{cluster}": ADMIN,
  "GET /clusters/{cluster}/nodes": ADMIN,
  "PATCH /clusters/{cluster}/nodes/{node}/labels": ADMIN,
  "PUT /clusters/{cluster}/nodes/{node}/availability": ADMIN,
  "GET /tls/ca": SELF,
  // The catalog: read by members, added to by a tenant's owners (for it) or platform admins.
  "GET /catalog": { viewer: "allow", other: 404, query: "tenant=acme" },
  "GET /catalog/{capability}": { viewer: "allow", other: 404, query: "tenant=acme" },
  "POST /catalog": {
    viewer: 403,
    other: 404,
    body: { tenant: "acme", files: [{ path: "capability.yaml", mode: 420, data: "" }] },
  },
  [`GET ${T}/envs/{env}/services`]: R,
  [`POST ${T}/envs/{env}/services`]: W,
  [`GET ${T}/envs/{env}/services/{service}`]: R,
  [`PATCH ${T}/envs/{env}/services/{service}`]: W,
  [`DELETE ${T}/envs/{env}/services/{service}`]: W,
  [`GET ${T}/envs/{env}/services/{service}/operations/{id}`]: R,
  [`GET ${T}/envs/{env}/services/{service}/logs`]: R,
  [`GET ${APP}/bindings`]: R,
  [`POST ${APP}/bindings`]: W,
  [`DELETE ${APP}/bindings/{binding}`]: W,
  [`POST ${APP}/bindings/{binding}/rotate`]: W,
};

describe("security: every route × no token, revoked, viewer, another tenant's owner", () => {
  let berth: BerthProcess;
  let fx: Awaited<ReturnType<typeof twoTenants>>;
  let doc: any;
  const operations: { key: string; method: string; path: string }[] = [];
  const counts = { routes: 0, calls: 0 };

  beforeAll(async () => {
    berth = await startServer();
    fx = await twoTenants(berth);
    doc = (await api(berth, "GET", "/openapi.json", { token: null })).body;
    for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, unknown>>))
      for (const method of Object.keys(item))
        operations.push({ key: `${method.toUpperCase()} ${path}`, method, path });
  });
  afterAll(async () => {
    console.log(
      `route matrix: ${counts.routes} routes × 4 identities = ${counts.calls} calls, each answered as the matrix says with the store and engine unchanged`,
    );
    await berth?.destroy();
  });

  it("has an entry for every route in the OpenAPI document, and no entry for a route that is gone", () => {
    const keys = operations.map((o) => o.key);
    const unjudged = keys.filter((k) => !PUBLIC.has(k) && !MATRIX[k]);
    expect(unjudged, "routes without a matrix entry: add one to MATRIX").toEqual([]);
    expect(Object.keys(MATRIX).filter((k) => !keys.includes(k))).toEqual([]);
    expect(keys.length).toBeGreaterThan(60);
  });

  it("every route states in the document who may call it", () => {
    for (const { method, path, key } of operations) {
      const access = doc.paths[path][method]["x-berth-access"];
      expect(access?.permission, key).toMatch(
        /^(public|authenticated|self|platform\.admin|tenant\.|env\.|app\.|build)/,
      );
      expect(access.permission === "public", key).toBe(PUBLIC.has(key));
    }
  });

  it("answers each call as the matrix says and changes nothing", async () => {
    const fill = (path: string) =>
      path
        .replace("{tenant}", "acme")
        .replace("{env}", "dev")
        .replace("{app}", "web")
        .replace("{user}", "acme-owner")
        .replace("{kind}", "privileged")
        .replace("{cluster}", "tb")
        .replace("{node}", "tb1")
        .replace("{service}", "db")
        .replace("{capability}", "redis")
        .replace("{binding}", "db")
        .replace(/\{id\}/, (_m) =>
          String(
            path.includes("/links/")
              ? fx.ids.link
              : path.includes("/tokens/")
                ? fx.ids.ownerToken
                : fx.ids.route,
          ),
        );
    const problems: string[] = [];
    let before = await snapshot(berth);
    for (const op of operations) {
      if (PUBLIC.has(op.key)) continue;
      const entry = MATRIX[op.key] as Entry;
      counts.routes++;
      const url = `${fill(op.path)}${entry.query ? `?${entry.query}` : ""}`;
      const method = op.method.toUpperCase();
      const body = method === "GET" || method === "DELETE" ? undefined : (entry.body ?? {});
      const identities: [string, string | null, Want | 401][] = [
        ["no token", null, 401],
        ["revoked token", fx.revoked, 401],
        ["viewer", fx.tokens["acme-viewer"] as string, entry.viewer],
        ["globex owner", fx.tokens["globex-owner"] as string, entry.other],
      ];
      for (const [who, token, want] of identities) {
        counts.calls++;
        const r = await api(berth, method, url, { token, body });
        const got = r.status;
        const hiddenTenant = got === 404 && /or you are not a member/.test(r.body?.error?.message ?? "");
        const fine =
          want === "allow"
            ? got !== 401 && got !== 403 && !hiddenTenant
            : got === want && typeof r.body?.error?.message === "string";
        if (!fine)
          problems.push(
            `${op.key} as ${who}: wanted ${want}, got ${got} ${JSON.stringify(r.body).slice(0, 200)}`,
          );
        if (want === 404 && got === 404 && !/does not exist|no token/.test(r.body.error.message))
          problems.push(
            `${op.key} as ${who}: a 404 that tells more than "does not exist": ${r.body.error.message}`,
          );
        const after = await snapshot(berth);
        if (after.store !== before.store) problems.push(`${op.key} as ${who} (${got}) changed the store`);
        if (after.engine !== before.engine) problems.push(`${op.key} as ${who} (${got}) changed the engine`);
        before = after;
      }
    }
    expect(problems).toEqual([]);
    expect(counts.calls).toBe(counts.routes * 4);
  });

  it("lists only the caller's tenants, and another tenant's 404 reads like a missing one", async () => {
    const list = await api(berth, "GET", "/tenants", { token: fx.tokens["globex-owner"] });
    expect(list.body.map((t: { name: string }) => t.name)).toEqual(["globex"]);
    const hidden = await api(berth, "GET", "/tenants/acme/apps", { token: fx.tokens["globex-owner"] });
    const missing = await api(berth, "GET", "/tenants/nosuch/apps", { token: fx.tokens["globex-owner"] });
    expect(hidden.status).toBe(404);
    expect(hidden.body.error.message.replace("acme", "X")).toBe(
      missing.body.error.message.replace("nosuch", "X"),
    );
  });
});
