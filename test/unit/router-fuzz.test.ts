import { describe, expect, it } from "vitest";
import { renderNginxConfig } from "../../src/router/render-nginx-config.js";
import type { RouterTable } from "../../src/router/route.js";
import type { RouterSettings } from "../../src/router/router-settings.js";
import {
  DANGEROUS_CHAR,
  directiveCount,
  FUZZ_FIELDS,
  type FuzzField,
  type FuzzInput,
  fieldCorpus,
  fuzzBase,
  PEM_DANGEROUS,
  withField,
} from "../support/router-table.js";

type Outcome = { ok: true; conf: string } | { ok: false; message: string; error: unknown };

function attempt(input: FuzzInput): Outcome {
  try {
    return { ok: true, conf: renderNginxConfig(input.table, input.settings) };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error), error };
  }
}

/** A short, unambiguous name for a value in a failure report. */
function show(value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    text = undefined;
  }
  text ??= `${typeof value}`;
  return text.length > 60 ? `${text.slice(0, 60)}…(${text.length})` : text;
}

const REFUSAL = "router: refusing to render invalid ";

/** Why the refusal of `value` is not the clear, one-line, field-naming error it should be (or null). */
function refusalProblem(field: FuzzField, value: unknown, outcome: Outcome): string | null {
  if (outcome.ok) return `rendered ${show(value)}`;
  const { message } = outcome;
  if (!(outcome.error instanceof Error)) return `threw a non-Error for ${show(value)}`;
  if (!message.startsWith(REFUSAL)) return `unclear error for ${show(value)}: ${message.slice(0, 200)}`;
  if (!field.error.test(message))
    return `error names another field for ${show(value)}: ${message.slice(0, 200)}`;
  if (/[\r\n]/.test(message)) return `error spans lines for ${show(value)}`;
  if (message.length > 400) return `error of ${message.length} characters for ${show(value)}`;
  if (typeof value === "string" && field.kind !== "pem") {
    const shown = JSON.stringify(value).slice(0, 100);
    if (!message.includes(shown)) return `error does not show ${show(value)}: ${message.slice(0, 200)}`;
  }
  return null;
}

const benignConfs = new Map<string, string>();

function benignConf(field: FuzzField, value: unknown): string {
  const key = `${field.name}\0${JSON.stringify(value)}`;
  let conf = benignConfs.get(key);
  if (conf === undefined) {
    const input = withField(field, value);
    conf = renderNginxConfig(input.table, input.settings);
    benignConfs.set(key, conf);
  }
  return conf;
}

/**
 * Why an accepted `value` is unsafe (or null): it must be a plain token of its type, and the config
 * must be the benign one with only the value's own snippets changed: same text elsewhere, same
 * directives.
 */
function acceptedProblem(field: FuzzField, value: unknown, input: FuzzInput, conf: string): string | null {
  if (field.kind === "number" && !Number.isSafeInteger(value)) return `rendered the number ${show(value)}`;
  if (field.kind === "boolean" && typeof value !== "boolean") return `rendered the flag ${show(value)}`;
  if (field.kind === "string" || field.kind === "pem") {
    if (typeof value !== "string") return `rendered the non-string ${show(value)}`;
    const dangerous = field.kind === "pem" ? PEM_DANGEROUS : DANGEROUS_CHAR;
    if (dangerous.test(value)) return `rendered ${show(value)}, which holds a character that ends a token`;
    if (/^[~=^*.\\]/.test(value))
      return `rendered ${show(value)}, whose first character nginx reads as a modifier`;
  }
  if (field.kind === "pem") {
    const body = (value as string).split("\n").filter((l) => l.length >= 8 && !l.startsWith("-----"));
    if (body.some((line) => conf.includes(line))) return "a PEM line reached the config";
  }
  const like = field.sameShape ? field.sameShape(value as never) : field.benign;
  const reference = benignConf(field, like);
  if (directiveCount(conf) !== directiveCount(reference)) {
    return `${show(value)} changed the directive count: ${directiveCount(conf)} != ${directiveCount(reference)}`;
  }
  const from = field.at(value as never, input);
  const to = field.at(like as never, withField(field, like));
  if (from.length !== to.length) return `snippets of ${show(value)} do not line up`;
  let swapped = conf;
  for (const [i, snippet] of from.entries()) {
    if (!swapped.includes(snippet))
      return `${show(value)} is not where it belongs (${JSON.stringify(snippet)})`;
    swapped = swapped.split(snippet).join(to[i]);
  }
  const normalize = field.normalize ?? ((c: string) => c);
  if (normalize(swapped) !== normalize(reference)) {
    const a = normalize(swapped).split("\n");
    const b = normalize(reference).split("\n");
    const line = a.findIndex((l, n) => l !== b[n]);
    return `${show(value)} shows up outside its place, line ${line + 1}: ${JSON.stringify(a[line])} vs ${JSON.stringify(b[line])}`;
  }
  return null;
}

describe("router fuzz: hostile values in every field", () => {
  it("the base table is valid and uses every rule kind, TLS, a custom path and a trusted proxy", () => {
    const { table, settings } = fuzzBase();
    const conf = renderNginxConfig(table, settings);
    for (const marker of [
      "map $http_x_dept $b0_r0 {",
      "map $cookie_canary $b0_r1 {",
      "geo $b0_ip {",
      'split_clients "${berth_seed}c1" $b0_w {',
      "location = /api {",
      "listen 127.0.0.1:8443 ssl;",
      "return 308 https://$host:8443$request_uri;",
      "set_real_ip_from 10.0.0.0/8;",
    ]) {
      expect(conf).toContain(marker);
    }
    // Every field's benign snippets are found, so a changed value can be checked in place.
    for (const field of FUZZ_FIELDS) {
      for (const snippet of field.at(field.benign as never, fuzzBase())) expect(conf).toContain(snippet);
    }
  });

  describe.each(FUZZ_FIELDS.map((f) => [f.name, f] as const))("%s", (_, field) => {
    const corpus = fieldCorpus(field);

    it("refuses every hostile value with a clear, one-line error naming the field", () => {
      expect(corpus.mustRefuse.length).toBeGreaterThan(field.kind === "string" ? 150 : 25);
      const problems: string[] = [];
      for (const value of corpus.mustRefuse) {
        const problem = refusalProblem(field, value, attempt(withField(field, value)));
        if (problem) problems.push(problem);
      }
      expect(problems).toEqual([]);
    });

    it("renders an accepted value only in its own place, adding no directive", () => {
      const values = field.kind === "boolean" ? [] : corpus.maybe;
      expect(values.length + field.odd.length).toBeGreaterThan(1);
      const problems: string[] = [];
      let accepted = 0;
      for (const value of [...field.odd, ...values]) {
        const input = withField(field, value);
        const outcome = attempt(input);
        if (outcome.ok) {
          accepted++;
          const problem = acceptedProblem(field, value, input, outcome.conf);
          if (problem) problems.push(problem);
        } else {
          if (field.odd.includes(value))
            problems.push(`refused the odd but valid ${show(value)}: ${outcome.message}`);
          const problem = refusalProblem(field, value, outcome);
          if (problem) problems.push(problem);
        }
      }
      expect(problems).toEqual([]);
      expect(accepted).toBeGreaterThanOrEqual(field.odd.length);
    });

    if (!field.api) return;
    it("the API-edge schemas refuse every hostile value and accept nothing the router refuses", () => {
      const api = Object.entries(field.api ?? {});
      const problems: string[] = [];
      for (const value of corpus.mustRefuse) {
        for (const [schema, accepts] of api)
          if (accepts(value)) problems.push(`${schema} accepted ${show(value)}`);
      }
      // One value the API takes but the router refuses would block every later apply, for every app.
      let apiAccepted = 0;
      for (const value of [...field.odd, ...corpus.maybe]) {
        const takers = api.filter(([, accepts]) => accepts(value)).map(([schema]) => schema);
        if (takers.length === 0) continue;
        apiAccepted++;
        const outcome = attempt(withField(field, value));
        // A duplicate (path "/" twice) is a property of this table, not of the value.
        if (!outcome.ok && !outcome.message.includes("(duplicate)"))
          problems.push(
            `${takers.join(", ")} accepted ${show(value)}, the router refuses it: ${outcome.message}`,
          );
      }
      expect(problems).toEqual([]);
      expect(apiAccepted).toBeGreaterThan(0);
    });
  });

  it("refuses wrong shapes of the table and settings, naming them", () => {
    const cases: [string, (i: { table: RouterTable; settings: RouterSettings }) => void, RegExp][] = [
      ["table without backends", (i) => Object.assign(i.table, { backends: undefined }), /router table/],
      ["sites as an object", (i) => Object.assign(i.table, { sites: {} }), /router table/],
      [
        "endpoints as a string",
        (i) => Object.assign(i.table.backends[0]?.stable ?? {}, { endpoints: "10.0.0.1:80" }),
        /endpoint list/,
      ],
      [
        "stable pool as a string",
        (i) => Object.assign(i.table.backends[0] ?? {}, { stable: "x" }),
        /release for/,
      ],
      [
        "rules as null",
        (i) => Object.assign(i.table.backends[0]?.canary ?? {}, { rules: null }),
        /canary rules/,
      ],
      [
        "headers as a string",
        (i) => Object.assign(i.table.backends[0]?.canary?.rules ?? {}, { headers: "X: y" }),
        /canary rules/,
      ],
      [
        "source CIDRs as a string",
        (i) => Object.assign(i.table.backends[0]?.canary?.rules ?? {}, { sourceCidrs: "10.0.0.0/8" }),
        /canary rules/,
      ],
      [
        "cookie left out",
        (i) => Object.assign(i.table.backends[0]?.canary?.rules ?? {}, { cookie: undefined }),
        /cookie name/,
      ],
      [
        "header rule as null",
        (i) => Object.assign(i.table.backends[0]?.canary?.rules ?? {}, { headers: [null] }),
        /header name/,
      ],
      [
        "locations as an object",
        (i) => Object.assign(i.table.sites[0] ?? {}, { locations: {} }),
        /location list/,
      ],
      [
        "TLS as a string",
        (i) => Object.assign(i.table.sites[0] ?? {}, { tls: "-----BEGIN" }),
        /certificate for/,
      ],
      ["TLS left out", (i) => Object.assign(i.table.sites[0] ?? {}, { tls: undefined }), /certificate for/],
      [
        "listen hosts as a string",
        (i) => Object.assign(i.settings, { listenHosts: "127.0.0.1" }),
        /listen host list/,
      ],
      ["no listen host", (i) => Object.assign(i.settings, { listenHosts: [] }), /listen host list/],
      [
        "trusted proxies as a string",
        (i) => Object.assign(i.settings, { trustedProxies: "10.0.0.0/8" }),
        /trusted proxy list/,
      ],
      [
        "a second site for the host",
        (i) => i.table.sites.push(structuredClone(i.table.sites[0] as never)),
        /site host \(duplicate\)/,
      ],
      [
        "a second backend with the id",
        (i) => i.table.backends.push(structuredClone(i.table.backends[0] as never)),
        /backend id \(duplicate\)/,
      ],
    ];
    for (const [name, mutate, error] of cases) {
      const input = fuzzBase();
      mutate(input);
      const outcome = attempt(input);
      expect(outcome.ok, name).toBe(false);
      if (!outcome.ok) {
        expect(outcome.message, name).toMatch(/^router: refusing to render invalid /);
        expect(outcome.message, name).toMatch(error);
      }
    }
  });
});
