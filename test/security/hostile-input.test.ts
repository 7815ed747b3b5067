import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BerthProcess } from "../support/berth-process.js";
import { api, ok, snapshot, startServer, twoTenants } from "../support/tenancy-fixture.js";

/**
 * Every string the API takes (every string field of every request body, every path and query
 * parameter), generated from /api/v1/openapi.json, gets each hostile value below. A field with
 * an allow-list (a pattern, an enum, a format) must refuse every one with a 400 naming that
 * field, and nothing may change. The only exceptions are the free-text fields listed in FREE_TEXT
 * (config values, secrets, file contents, passwords, reasons), each with how it is kept harmless:
 * a new field that takes text fails this suite until it is listed. Free text is then delivered
 * for real and must arrive byte for byte, and the marker every value carries must not turn up in
 * nginx's config, Docker labels, file names or the server log.
 */
const MARK = "Zq9";
const HOSTILE = [
  `${MARK};rm -rf /`,
  `${MARK}$(id)`,
  `${MARK}\`id\``,
  `${MARK}|cat /etc/passwd`,
  `${MARK}&&reboot`,
  `${MARK}>/tmp/x`,
  `../../${MARK}`,
  `..`,
  `/${MARK}/../../etc/passwd`,
  `${MARK}\u0000nul`,
  `${MARK}\nsecond line`,
  `${MARK}\r\nX-Injected: 1`,
  `${MARK}"quoted"`,
  `${MARK}'single'`,
  `${MARK}\${BERTH_TENANT}`,
  `\${${MARK}}`,
  `${MARK}${"a".repeat(70_000)}`,
  `аdmin${MARK}`, // Cyrillic а
  `ｗｅｂ${MARK}`, // fullwidth
  `web\u200b${MARK}`, // zero-width space
  `${MARK}\u202egnp.exe`, // right-to-left override
  `${MARK}; return 200 "pwned"; #`,
  `} server { listen 9; } ${MARK}`,
  `$host${MARK}`,
  `${MARK} berth.managed=true`,
  `berth.managed=true,${MARK}`,
  `${MARK}\\x00`,
  ` ${MARK} `,
  "",
];

/** String fields that take any text, and why that is safe. Each is also delivered below. */
const FREE_TEXT: Record<string, string> = {
  "PATCH /tenants/{tenant}/config body.values.*": "an environment variable, through the Docker API",
  "PATCH /tenants/{tenant}/config body.secrets.*": "a sealed secret, then an environment variable",
  "PUT /tenants/{tenant}/config/files body.content": "a template rendered into a read-only file",
  "POST /apply body.manifest.config.*": "as config values",
  "POST /apply body.manifest.secrets.*.value": "as secrets",
  "POST /apply body.manifest.environments.*.config.*": "as config values",
  "POST /apply body.manifest.environments.*.secrets.*.value": "as secrets",
  "POST /apply body.manifest.apps.*.config.*": "as config values",
  "POST /apply body.manifest.apps.*.secrets.*.value": "as secrets",
  "POST /apply body.manifest.apps.*.files.*": "as file contents",
  "POST /apply body.manifest.apps.*.envs.*.config.*": "as config values",
  "POST /apply body.manifest.apps.*.envs.*.secrets.*.value": "as secrets",
  "POST /apply body.manifest.apps.*.envs.*.files.*": "as file contents",
  "POST /apply body.manifest.apps.*.resources.command.*": "an argv element, never a shell line",
  "POST /apply body.manifest.resources.command.*": "an argv element, never a shell line",
  "POST /apply body.manifest.environments.*.resources.command.*": "an argv element",
  "POST /apply body.manifest.apps.*.envs.*.resources.command.*": "an argv element",
  "PATCH /tenants/{tenant}/settings body.settings.command.*": "an argv element, never a shell line",
  "POST /tenants/{tenant}/envs/{env}/apps/{app}/deploy body.config.*": "release-layer config values",
  "POST /sessions body.password": "only ever hashed",
  "POST /users body.password": "only ever hashed with scrypt",
  "PUT /users/{user}/password body.password": "only ever hashed with scrypt",
  "PUT /tenants/{tenant}/exceptions/{kind} body.values.*": "checked against the kind's own allow-list",
  "PUT /tenants/{tenant}/exceptions/{kind} body.reason": "stored as text, one line",
  "POST /tenants/{tenant}/envs/{env}/apps/{app}/routes body.certPem": "parsed as PEM, never written as given",
  "POST /tenants/{tenant}/envs/{env}/apps/{app}/routes body.keyPem": "parsed as PEM, never written as given",
  "POST /catalog body.files.*.data":
    "a module file's bytes (base64): linted, then a file in a Docker build context, never a path, command or label",
};

type Schema = any;
interface Slot {
  /** Where the string goes: body path (with * for record keys' values), or a parameter. */
  where: "body" | "path" | "query";
  path: (string | number)[];
  /** The record key itself is the string (e.g. a config key). */
  isKey: boolean;
  schema: Schema;
  label: string;
}

/** Walks a JSON Schema down to every string, resolving $refs; records and arrays get one sample entry. */
function stringSlots(
  doc: Schema,
  schema: Schema,
  path: (string | number)[],
  label: string[],
  out: Slot[],
  depth = 0,
) {
  if (!schema || depth > 12) return;
  if (schema.$ref) return stringSlots(doc, resolve(doc, schema.$ref), path, label, out, depth + 1);
  for (const key of ["anyOf", "oneOf", "allOf"])
    for (const branch of schema[key] ?? []) stringSlots(doc, branch, path, label, out, depth + 1);
  // OpenAPI 3.1 spells nullable as a list of types, e.g. ["array", "null"].
  const types: string[] = Array.isArray(schema.type) ? schema.type : [schema.type];
  if (types.includes("string"))
    out.push({ where: "body", path, isKey: false, schema, label: label.join(".") });
  if (types.includes("object") || schema.properties || schema.additionalProperties) {
    for (const [name, sub] of Object.entries(schema.properties ?? {}))
      stringSlots(doc, sub, [...path, name], [...label, name], out, depth + 1);
    const extra = schema.additionalProperties;
    if (extra && typeof extra === "object") {
      const sample = sampleKey(schema.propertyNames);
      if (schema.propertyNames) {
        const keySchema = schema.propertyNames.$ref
          ? resolve(doc, schema.propertyNames.$ref)
          : schema.propertyNames;
        if ([keySchema.type].flat().includes("string") || keySchema.pattern)
          out.push({
            where: "body",
            path: [...path, sample],
            isKey: true,
            schema: keySchema,
            label: `${label.join(".")}.<key>`,
          });
      }
      stringSlots(doc, extra, [...path, sample], [...label, "*"], out, depth + 1);
    }
  }
  if (types.includes("array") && schema.items)
    stringSlots(doc, schema.items, [...path, 0], [...label, "*"], out, depth + 1);
}

const resolve = (doc: Schema, ref: string) =>
  ref
    .replace(/^#\//, "")
    .split("/")
    .reduce((s: Schema, k: string) => s?.[k], doc);

/** A record key that passes the usual key patterns, so only the hostile value is at fault. */
function sampleKey(propertyNames: Schema): string {
  const pattern: string = propertyNames?.pattern ?? "";
  if (pattern.includes("A-Za-z_")) return "K";
  if (pattern.startsWith("^(\\/")) return "/app/x.conf";
  return "x";
}

/** A body with `value` at `path` (or as the key at the end of it) and nothing else. */
function bodyWith(slot: Slot, value: string): unknown {
  const root: Record<string | number, unknown> = {};
  let node: Record<string | number, unknown> = root;
  const path = slot.path;
  for (let i = 0; i < path.length - 1; i++) {
    const next = path[i + 1];
    const child: Record<string | number, unknown> = typeof next === "number" ? ([] as never) : {};
    node[path[i] as string] = child;
    node = child;
  }
  const last = path[path.length - 1] as string | number;
  if (slot.isKey) node[value] = "x";
  else node[last] = value;
  return root;
}

/** Does the 400 blame this field (or a union that holds it)? */
function blames(body: Schema, slot: Slot, value: string): boolean {
  const expected = slot.isKey ? [...slot.path.slice(0, -1), value] : slot.path;
  const issues: { path: (string | number)[] }[] = body?.error?.issues ?? [];
  const field: string | undefined = body?.error?.field;
  const prefixOf = (p: (string | number)[]) =>
    p.length > 0 && p.length <= expected.length && p.every((x, i) => String(x) === String(expected[i]));
  // A record key's own issue sits at the record with the key's message.
  const parent = slot.isKey ? slot.path.slice(0, -1) : [];
  return (
    issues.some((i) => prefixOf(i.path) || (slot.isKey && i.path.join(".") === parent.join("."))) ||
    (field !== undefined && (field === expected.join(".") || (slot.isKey && field === parent.join("."))))
  );
}

describe("security: hostile values in every string the API takes", () => {
  let berth: BerthProcess;
  let doc: any;
  const counts = { slots: 0, freeText: 0, tried: 0, refused: 0, accepted: 0, delivered: 0 };

  beforeAll(async () => {
    berth = await startServer();
    await twoTenants(berth);
    doc = (await api(berth, "GET", "/openapi.json", { token: null })).body;
  }, 300_000);
  afterAll(async () => {
    console.log(
      `hostile input: ${counts.slots} allow-listed string slots × ${HOSTILE.length} values = ${counts.tried} requests, ${counts.refused} refused with 400 naming the field, accepted = ${counts.accepted}; ${counts.freeText} free-text slots, ${counts.delivered} values delivered byte for byte`,
    );
    await berth?.destroy();
  });

  const fill: Record<string, string> = {
    tenant: "acme",
    env: "dev",
    app: "web",
    user: "acme-viewer",
    kind: "privileged",
    id: "1",
  };

  it("refuses every hostile value in every allow-listed field with a 400 naming it, and changes nothing", async () => {
    const problems: string[] = [];
    const seenFree = new Set<string>();
    for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, Schema>>)) {
      for (const [method, op] of Object.entries(item)) {
        const key = `${method.toUpperCase()} ${path}`;
        if (key === "POST /tenants/{tenant}/apps/{app}/builds") continue; // a tar stream: covered by its own parameters
        const slots: Slot[] = [];
        const bodySchema = op.requestBody?.content?.["application/json"]?.schema;
        if (bodySchema) stringSlots(doc, bodySchema, [], ["body"], slots);
        for (const p of op.parameters ?? [])
          if ((p.schema?.type ?? "string") === "string" || p.schema?.pattern || p.schema?.enum)
            slots.push({
              where: p.in,
              path: [p.name],
              isKey: false,
              schema: p.schema,
              label: `${p.in}.${p.name}`,
            });
        const required: [string, string][] = (op.parameters ?? [])
          .filter((p: Schema) => p.in === "query" && p.required)
          .map((p: Schema) => [p.name, fill[p.name] ?? "x"]);
        const before = await snapshot(berth);
        for (const slot of slots) {
          const name = `${key} ${slot.label}`;
          if (FREE_TEXT[name] !== undefined) {
            seenFree.add(name);
            counts.freeText++;
            continue;
          }
          counts.slots++;
          for (const value of HOSTILE) {
            counts.tried++;
            let url = path.replace(/\{(\w+)\}/g, (_m, p: string) =>
              encodeURIComponent(slot.where === "path" && p === slot.path[0] ? value : (fill[p] ?? "x")),
            );
            // Required query parameters get good values, so the hostile one is the only fault.
            const query = new URLSearchParams(required);
            if (slot.where === "query") query.set(String(slot.path[0]), value);
            if ([...query].length > 0) url += `?${query}`;
            const body =
              method === "get" || method === "delete"
                ? undefined
                : slot.where === "body"
                  ? bodyWith(slot, value)
                  : {};
            const r = await api(berth, method.toUpperCase(), url, { body });
            // An empty path segment changes the route itself (e.g. /tenants//apps): no route, no harm.
            const noRoute = r.status === 404 && /^no API route/.test(r.body?.error?.message ?? "");
            // Oversized input is refused before it is parsed at all: 413 (body) or 431 (URL).
            const tooLarge =
              value.length > 65_536 && (r.status === 413 || r.status === 431 || r.status === 414);
            if ((r.status === 400 && blames(r.body, slot, value)) || tooLarge) counts.refused++;
            else if (noRoute && slot.where === "path") counts.refused++;
            else {
              counts.accepted++;
              problems.push(
                `${name} = ${JSON.stringify(value.slice(0, 40))}: ${r.status} ${String(JSON.stringify(r.body)).slice(0, 240)}`,
              );
            }
          }
        }
        const after = await snapshot(berth);
        if (after.store !== before.store) problems.push(`${key}: hostile input changed the store`);
        if (after.engine !== before.engine) problems.push(`${key}: hostile input changed the engine`);
      }
    }
    if (process.env.HOSTILE_DUMP) writeFileSync(process.env.HOSTILE_DUMP, problems.join("\n"));
    expect(problems.slice(0, 30)).toEqual([]);
    expect(
      Object.keys(FREE_TEXT).filter((k) => !seenFree.has(k)),
      "FREE_TEXT entries no route has",
    ).toEqual([]);
    expect(counts.accepted).toBe(0);
    expect(counts.tried).toBeGreaterThan(3000);
  }, 600_000);

  it("delivers hostile free text byte for byte as data, and it reaches no config, label, file name or log", async () => {
    const deliverable = HOSTILE.filter((v) => !v.includes("\u0000") && v.length < 60_000 && v !== "");
    const values = Object.fromEntries(deliverable.map((v, i) => [`H${i}`, v]));
    // Values with ${...} are templates: $$ keeps them literal, as docs/config.md says.
    const literal = Object.fromEntries(
      Object.entries(values).map(([k, v]) => [k, v.replaceAll("$", "$$$$")]),
    );
    await ok(berth, "PATCH", "/tenants/acme/config", {
      app: "web",
      env: "dev",
      values: literal,
      stage: true,
    });
    await ok(berth, "PATCH", "/tenants/acme/config", {
      app: "web",
      env: "dev",
      secrets: { HS: deliverable.join("|").replaceAll("$", "$$$$") },
      stage: true,
    });
    await ok(berth, "PUT", "/tenants/acme/config/files", {
      app: "web",
      env: "dev",
      path: "/etc/berth-hostile.txt",
      content: deliverable.join("\n").replaceAll("$", "$$$$"),
      stage: true,
    });
    await ok(berth, "POST", "/tenants/acme/envs/dev/apps/web/redeploy");
    await deployHttpdSettled(berth);
    const docker = new Docker();
    const [c] = await docker.listContainers({
      filters: {
        label: [
          `berth.instance=${berth.instanceId()}`,
          "berth.tenant=acme",
          "berth.env=dev",
          "berth.app=web",
        ],
      },
    });
    if (!c) throw new Error("web is not running in dev");
    const env = (await docker.getContainer(c.Id).inspect()).Config.Env;
    for (const [k, v] of Object.entries(values)) {
      expect(env).toContain(`${k}=${v}`);
      counts.delivered++;
    }
    expect(env).toContain(`HS=${deliverable.join("|")}`);
    const file = execFileSync("docker", ["exec", c.Id, "cat", "/etc/berth-hostile.txt"]).toString();
    expect(file).toBe(deliverable.join("\n"));

    const leaks: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const p = join(dir, name);
        if (name.includes(MARK)) leaks.push(`file name ${p}`);
        if (statSync(p).isDirectory()) walk(p);
      }
    };
    walk(berth.dataDir);
    for (const name of readdirSync(join(berth.dataDir, "router")))
      if (name.endsWith(".conf") && readFileSync(join(berth.dataDir, "router", name), "utf8").includes(MARK))
        leaks.push(`nginx config ${name}`);
    const label = [`berth.instance=${berth.instanceId()}`];
    const objects = [
      ...(await docker.listContainers({ all: true, filters: { label } })).map((x) => x.Labels),
      ...(await docker.listNetworks({ filters: { label } })).map((x) => x.Labels),
      ...((await docker.listVolumes({ filters: { label } })).Volumes ?? []).map((x) => x.Labels),
    ];
    if (JSON.stringify(objects).includes(MARK)) leaks.push("a Docker label");
    if (berth.log().includes(MARK)) leaks.push("the server log");
    expect(leaks).toEqual([]);
  }, 180_000);
});

async function deployHttpdSettled(berth: BerthProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const d = await ok(berth, "GET", "/tenants/acme/envs/dev/apps/web/deployment");
    if (d.phase === "serving" && d.release === d.servingRelease) return;
    if (d.phase === "failed") throw new Error(d.message);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("web did not serve its new release within 60 s");
}
