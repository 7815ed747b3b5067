import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditEntry as AuditRow } from "../../src/domain/audit.js";
import { DNS_LABEL } from "../../src/domain/dns-label.js";
import { BerthProcess } from "../support/berth-process.js";

/** The REST edge of a real server: auth, validation that writes nothing, errors, OpenAPI. */
describe("REST API", () => {
  let berth: BerthProcess;
  const call = async (method: string, path: string, body?: unknown, token: string | null = berth.token) => {
    const headers: Record<string, string> = {};
    if (token !== null) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    const res = await fetch(`${berth.url}/api/v1${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };

  beforeAll(async () => {
    berth = await BerthProcess.start();
    expect((await call("POST", "/tenants", { name: "acme" })).status).toBe(201);
    expect((await call("POST", "/tenants/acme/envs", { name: "dev" })).status).toBe(201);
    expect((await call("POST", "/tenants/acme/apps", { name: "web" })).status).toBe(201);
  });
  afterAll(async () => {
    await berth?.destroy();
  });

  it("serves an OpenAPI 3.1 document generated from the validating schemas", async () => {
    const { status, body: doc } = await call("GET", "/openapi.json", undefined, null);
    expect(status).toBe(200);
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        "/tenants",
        "/tenants/{tenant}/envs",
        "/tenants/{tenant}/apps/{app}",
        "/tenants/{tenant}/apps/{app}/builds",
        "/tenants/{tenant}/envs/{env}/apps/{app}/deploy",
        "/tenants/{tenant}/envs/{env}/apps/{app}/rollback",
        "/tenants/{tenant}/envs/{env}/apps/{app}/scale",
        "/tenants/{tenant}/envs/{env}/apps/{app}/containers",
        "/tenants/{tenant}/envs/{env}/apps/{app}/logs",
        "/tenants/{tenant}/envs/{env}/apps/{app}/releases",
      ]),
    );
    expect(doc.components.securitySchemes.bearer).toEqual({ type: "http", scheme: "bearer" });
    expect(doc.components.schemas.CreateTenantRequest.properties.name.pattern).toBe(DNS_LABEL.source);
    expect(doc.components.schemas.DeployRequest.properties.port).toMatchObject({
      minimum: 1,
      maximum: 65535,
    });
    expect(doc.components.schemas.DeployRequest.additionalProperties).toBe(false);
    const deploy = doc.paths["/tenants/{tenant}/envs/{env}/apps/{app}/deploy"].post;
    expect(deploy.requestBody.content["application/json"].schema.$ref).toBe(
      "#/components/schemas/DeployRequest",
    );
    expect(deploy.parameters.map((p: { name: string }) => p.name)).toEqual(["tenant", "env", "app"]);
  });

  it("answers /healthz without a token and nothing else", async () => {
    expect((await call("GET", "/healthz", undefined, null)).body).toMatchObject({ ok: true });
    const none = await call("GET", "/tenants", undefined, null);
    expect(none.status).toBe(401);
    expect(none.body.error.message).toMatch(/berth login/);
    expect((await call("GET", "/tenants", undefined, "berth_not-a-real-token")).status).toBe(401);
  });

  it("rejects invalid names with a 400 naming the field, and writes nothing", async () => {
    for (const name of ["Acme", "a_b", "-x", "x".repeat(64), "a.b", "evil;rm -rf /"]) {
      const r = await call("POST", "/tenants", { name });
      expect(r.status).toBe(400);
      expect(r.body.error).toMatchObject({ code: "invalid", field: "name" });
      expect(r.body.error.message).toMatch(/^name: tenant must be a DNS label/);
    }
    const extra = await call("POST", "/tenants", { name: "ok", admin: true });
    expect(extra.status).toBe(400);
    expect(extra.body.error.message).toMatch(/admin/);
    expect((await call("POST", "/tenants", "{not json")).status).toBe(400);
    const bad = await call("GET", "/tenants/Bad_Tenant/apps");
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe("tenant");
    expect((await call("GET", "/tenants")).body.map((t: { name: string }) => t.name)).toEqual(["acme"]);
  });

  it("validates deploy requests against allow-lists before touching anything", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ image: "$(id)" }, "image"],
      [{ image: "berth/busybox:latest; rm -rf /" }, "image"],
      [{ image: "berth/busybox:latest", port: 70000 }, "port"],
      [{ image: "berth/busybox:latest", port: 80.5 }, "port"],
      [{ image: "berth/busybox:latest", replicas: -1 }, "replicas"],
      [{ image: "berth/busybox:latest", healthPath: "healthz" }, "healthPath"],
      [{ image: "berth/busybox:latest", healthPath: "/a b" }, "healthPath"],
      [{ image: "berth/busybox:latest", healthPath: "/x;\n return 200" }, "healthPath"],
      [{ image: "berth/busybox:latest", cmd: "sh" }, "cmd"],
    ];
    for (const [body, field] of cases) {
      const r = await call("POST", "/tenants/acme/envs/dev/apps/web/deploy", body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.code).toBe("invalid");
      expect(r.body.error.message).toContain(field);
    }
    const missing = await call("POST", "/tenants/acme/envs/dev/apps/web/deploy", { image: "no/such:1" });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatchObject({ field: "image" });
    expect((await call("GET", "/tenants/acme/envs/dev/apps/web/releases")).body).toEqual([]);
    expect((await call("GET", "/tenants/acme/envs/dev/apps/web/deployment")).status).toBe(404);
  });

  it("says what is missing or conflicting in one sentence", async () => {
    const noTenant = await call("GET", "/tenants/nope/apps");
    expect(noTenant.status).toBe(404);
    expect(noTenant.body.error.message).toBe(
      "tenant 'nope' does not exist; create it with 'berth tenant create nope'",
    );
    const dup = await call("POST", "/tenants", { name: "acme" });
    expect(dup.status).toBe(409);
    expect(dup.body.error.message).toBe("tenant 'acme' already exists");
    const rollback = await call("POST", "/tenants/acme/envs/dev/apps/web/rollback", {});
    expect(rollback.status).toBe(409);
    const route = await call("GET", "/nowhere");
    expect(route.status).toBe(404);
    expect(route.body.error.message).toMatch(/no API route GET/);
  });

  it("refuses oversized JSON bodies, whatever the content type says", async () => {
    const r = await call("POST", "/tenants", { name: "x", pad: "y".repeat(100_000) });
    expect(r.status).toBe(413);
    const sneaky = await fetch(`${berth.url}/api/v1/tenants`, {
      method: "POST",
      headers: { authorization: `Bearer ${berth.token}`, "content-type": "Application/JSON" },
      body: JSON.stringify({ name: "y", pad: "z".repeat(100_000) }),
    });
    expect(sneaky.status).toBe(413);
    expect((await call("GET", "/tenants")).body).toHaveLength(1);
  });

  it("records every mutating call in the audit log, refused ones too, and never a body", async () => {
    const last = ((await call("GET", "/audit?limit=1")).body as { id: number }[])[0]?.id ?? 0;
    await call("POST", "/tenants", { name: "audited" });
    await call("POST", "/tenants", { name: "audited" });
    await call("POST", "/tenants", { name: "nope" }, "berth_not-a-real-token");
    await call("PATCH", "/tenants/acme/config", { app: "web", secrets: { PW: "audit-plaintext-42" } });
    await call("GET", "/tenants");
    const since = encodeURIComponent(new Date(Date.now() - 60_000).toISOString());
    const { status, body: all } = await call("GET", `/audit?since=${since}`);
    expect(status).toBe(200);
    const body = (all as AuditRow[]).filter((e) => e.id > last);
    const rows = (
      body as {
        actor: string;
        tokenId: number | null;
        tenant: string | null;
        action: string;
        target: string;
        result: number;
        source: string;
      }[]
    ).map(({ actor, tokenId, tenant, action, target, result, source }) => ({
      actor,
      tokenId,
      tenant,
      action,
      target,
      result,
      source,
    }));
    expect(rows).toEqual([
      {
        actor: "admin",
        tokenId: 1,
        tenant: "audited",
        action: "POST /tenants",
        target: "/tenants",
        result: 201,
        source: "127.0.0.1",
      },
      {
        actor: "admin",
        tokenId: 1,
        tenant: "audited",
        action: "POST /tenants",
        target: "/tenants",
        result: 409,
        source: "127.0.0.1",
      },
      {
        actor: "anonymous",
        tokenId: null,
        tenant: null,
        action: "POST /tenants",
        target: "/tenants",
        result: 401,
        source: "127.0.0.1",
      },
      {
        actor: "admin",
        tokenId: 1,
        tenant: "acme",
        action: "PATCH /tenants/{tenant}/config",
        target: "/tenants/acme/config",
        result: 200,
        source: "127.0.0.1",
      },
    ]);
    expect(JSON.stringify(body)).not.toContain("audit-plaintext-42");
    const byTenant = await call("GET", "/audit?tenant=acme");
    expect((byTenant.body as { tenant: string }[]).every((e) => e.tenant === "acme")).toBe(true);
    // Append-only from the API: there is no way to change or remove an entry.
    expect((await call("DELETE", "/audit")).status).toBe(404);
    expect((await call("PATCH", "/audit", {})).status).toBe(404);
  });
});
