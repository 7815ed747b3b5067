import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { RouteHost, RoutePath } from "../../src/domain/app-route.js";
import { Cidr } from "../../src/domain/cidr.js";
import { CookieRule, HeaderRule, TrafficRules } from "../../src/domain/traffic-rules.js";
import type { Backend, CanaryPolicy, Endpoint, RouterTable, Site, SiteTls } from "../../src/router/route.js";
import type { RouterSettings } from "../../src/router/router-settings.js";
import { tlsFileName } from "../../src/router/tls-file-name.js";

const execFileAsync = promisify(execFile);

/** The router input before canaries and custom routes: one host, its endpoints. */
export interface HostRoute {
  host: string;
  endpoints: Endpoint[];
}

/** One backend per host (id "t/e/<n>", release 1, no canary), served at "/" of a plain site. */
export function tableOf(routes: HostRoute[]): RouterTable {
  return {
    backends: routes.map((r, n) => ({
      id: `t/e/${n}`,
      stable: { release: 1, endpoints: r.endpoints.map((e) => ({ address: e.address, port: e.port })) },
      canary: null,
    })),
    sites: routes.map((r, n) => ({
      host: r.host,
      tls: null,
      locations: [{ path: "/", backend: `t/e/${n}`, redirectHttps: false }],
    })),
  };
}

/** Small, fast, seeded PRNG (mulberry32): the fuzz corpus is the same on every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a, to seed one PRNG per field name. */
export function seedOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export function shuffled<T>(items: readonly T[], rand: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** Directive lines: a structural fingerprint of a config (a smuggled directive changes it). */
export const directiveCount = (conf: string): number =>
  conf.split("\n").filter((l) => /[;{]\s*$/.test(l)).length;

/** Shaped like PEM (what the router checks); not a usable certificate. */
export const FAKE_TLS: SiteTls = {
  certPem: "-----BEGIN CERTIFICATE-----\nMIIBfakeCertificateBody+/=\nAAAA\n-----END CERTIFICATE-----\n",
  keyPem: "-----BEGIN PRIVATE KEY-----\nMIGHfakeKeyBody+/=\n-----END PRIVATE KEY-----\n",
};

/** A real self-signed certificate for `host` (and its key in PKCS#8 and SEC1 form), made by openssl. */
export async function selfSignedTls(dir: string, host: string): Promise<SiteTls & { sec1KeyPem: string }> {
  const key = path.join(dir, "key.pem");
  const cert = path.join(dir, "cert.pem");
  const sec1 = path.join(dir, "key-sec1.pem");
  await execFileAsync("openssl", [
    ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"],
    ...["-keyout", key, "-out", cert, "-days", "2", "-subj", `/CN=${host}`],
    ...["-addext", `subjectAltName=DNS:${host}`],
  ]);
  await execFileAsync("openssl", ["ec", "-in", key, "-out", sec1]);
  const [certPem, keyPem, sec1KeyPem] = await Promise.all([cert, key, sec1].map((f) => readFile(f, "utf8")));
  return { certPem: certPem as string, keyPem: keyPem as string, sec1KeyPem: sec1KeyPem as string };
}

// ---------------------------------------------------------------------------------------------
// Fuzzing: one valid table that uses every field, and for each field where its value lands.

export const FUZZ_BACKEND = "acme/prod/web";
export const FUZZ_HOST = "www.example.com";

export interface FuzzInput {
  table: RouterTable;
  settings: RouterSettings;
}

/** A valid table and settings that exercise every field: canary with every rule kind, TLS, two paths. */
export function fuzzBase(tls: SiteTls = FAKE_TLS): FuzzInput {
  return {
    table: {
      backends: [
        {
          id: FUZZ_BACKEND,
          stable: { release: 3, endpoints: [{ address: "10.0.0.2", port: 8080 }] },
          canary: {
            pool: { release: 4, endpoints: [{ address: "10.0.0.3", port: 8081 }] },
            seed: "c1",
            rules: {
              headers: [{ name: "X-Dept", value: "eng" }],
              cookie: { name: "canary", value: "yes" },
              sourceCidrs: ["10.20.0.0/16"],
              weight: 25,
            },
          },
        },
      ],
      sites: [
        {
          host: FUZZ_HOST,
          tls: { certPem: tls.certPem, keyPem: tls.keyPem },
          locations: [
            { path: "/", backend: FUZZ_BACKEND, redirectHttps: false },
            { path: "/api", backend: FUZZ_BACKEND, redirectHttps: true },
          ],
        },
      ],
    },
    settings: {
      listenHosts: ["127.0.0.1"],
      port: 8080,
      httpsPort: 8443,
      stateDir: "/var/lib/berth/router",
      generation: 7,
      trustedProxies: ["10.0.0.0/8"],
    },
  };
}

const backendOf = (i: FuzzInput) => i.table.backends[0] as Backend;
const canaryOf = (i: FuzzInput) => backendOf(i).canary as CanaryPolicy;
const siteOf = (i: FuzzInput) => i.table.sites[0] as Site;

/** A tag value as the canary maps render it: an anchored, case-sensitive regular expression. */
export const tagKey = (v: string) => `"~^${v.replace(/[.+]/g, (c) => `[${c}]`)}$"`;

type ApiCheck = Record<string, (value: unknown) => boolean>;

export interface FuzzField {
  name: string;
  /** Whether the field is part of the table (apply) or of the settings (the router's options). */
  target: "table" | "settings";
  kind: "string" | "number" | "boolean" | "pem";
  /** The field's value in fuzzBase(). */
  benign: unknown;
  set(input: FuzzInput, value: unknown): void;
  /** Substring of the router's error for this field. */
  error: RegExp;
  /**
   * Where an accepted value lands in the config, as snippets aligned with `at(benign)`: swapping
   * them back must give exactly the benign config, so the value is nowhere else.
   */
  at(value: never, input: FuzzInput): string[];
  /** Makes configs comparable where a value legitimately changes a setting (host length: hash bucket). */
  normalize?(conf: string): string;
  /** The benign value with the same config shape (only weight changes the shape). */
  sameShape?(value: never): unknown;
  /** The API-edge schemas that guard this field, each as "accepts this value". */
  api?: ApiCheck;
  /** Characters a valid value is made of, for random generation. */
  alphabet: string;
  /** Makes random values shaped like valid ones (most random strings are refused at once). */
  structured?(rand: () => number): string;
  /** Accepted values that look odd: extremes of length, every allowed punctuation, keywords. */
  odd: unknown[];
  /** Accepted values depend on the machine (addresses to bind, directories): nginx -t gets its own. */
  machine?: boolean;
}

const LOWER = "abcdefghijklmnopqrstuvwxyz";
const UPPER = LOWER.toUpperCase();
const DIGITS = "0123456789";
const HEX = `${DIGITS}abcdefABCDEF`;
const B64 = `${UPPER}${LOWER}${DIGITS}+/=`;

const parses = (schema: { safeParse(v: unknown): { success: boolean } }, wrap: (v: unknown) => unknown) => {
  return (v: unknown) => schema.safeParse(wrap(v)).success;
};
const cidrApi: ApiCheck = {
  Cidr: parses(Cidr, (v) => v),
  TrafficRules: parses(TrafficRules, (v) => ({ sourceCidrs: [v] })),
};

export const ODD_CIDRS = [
  "0.0.0.0/0",
  "255.255.255.255/32",
  "192.168.0.0/16",
  "::/0",
  "2001:db8::/32",
  "2001:DB8::/32",
  "::ffff:1.2.3.4/128",
  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128",
  "0000:0000:0000:0000:0000:ffff:255.255.255.255/128",
];
export const ODD_TAGS = [
  `A${"b".repeat(127)}`,
  "0._~:@+/=-",
  "x=y/z@w:v+u.t~s_r-q",
  "a~b",
  "1",
  "includes",
  "Default0",
  "hostnames.example",
  "a.b.c",
  "a+b",
];
export const LONG_HOST = [`${"a".repeat(63)}`, "b".repeat(63), "c".repeat(63), "d".repeat(61)].join(".");

/**
 * nginx reads 255.255.255.255 as an error: the router spells an IPv6 address ending in it in hex
 * and leaves the IPv4 limited broadcast out (it is never a peer).
 */
const dropped = (cidr: string) => cidr.startsWith("255.255.255.255/");
const spelled = (cidr: string) => cidr.replace(":255.255.255.255/", ":ffff:ffff/");

/** A dotted quad, now and then with a leading zero or an octet out of range. */
function randomIpv4(rand: () => number): string {
  return Array.from({ length: 4 }, () =>
    rand() < 0.05 ? pickOf(["00", "010", "256", "-1", ""], rand) : String(Math.floor(rand() * 256)),
  ).join(".");
}

/** A CIDR, usually valid: IPv4 or IPv6 (compressed, upper-case, IPv4 tail), host bits mostly zero. */
function randomCidr(rand: () => number): string {
  if (rand() < 0.45) {
    const prefix = rand() < 0.95 ? Math.floor(rand() * 33) : 33 + Math.floor(rand() * 100);
    let n = Math.floor(rand() * 2 ** 32);
    if (rand() < 0.9)
      n =
        prefix >= 32
          ? n
          : prefix === 0
            ? 0
            : Number((BigInt(n) >> BigInt(32 - prefix)) << BigInt(32 - prefix));
    const address = [24, 16, 8, 0].map((shift) => (n >>> shift) & 255).join(".");
    return `${rand() < 0.03 ? randomIpv4(rand) : address}/${prefix}`;
  }
  const prefix =
    rand() < 0.9 ? pickOf([0, 8, 16, 32, 48, 64, 96, 112, 127, 128], rand) : Math.floor(rand() * 140);
  const groups = Array.from({ length: 8 }, (_, g) =>
    rand() < 0.9 && g * 16 >= prefix ? 0 : Math.floor(rand() * 0x10000),
  );
  if (rand() < 0.3) groups.fill(0, 1 + Math.floor(rand() * 6), 7);
  let text = groups.map((g) => g.toString(16).padStart(rand() < 0.2 ? 4 : 1, "0")).join(":");
  if (rand() < 0.6) text = text.replace(/(^|:)0(:0)+(:|$)/, "::");
  if (rand() < 0.15) text = text.replace(/:[0-9a-f]+:[0-9a-f]+$/, `:${randomIpv4(rand)}`);
  if (rand() < 0.3) text = text.toUpperCase();
  if (rand() < 0.03) text = text.replace(":", ":::");
  return `${text}/${prefix}`;
}

const stateDirLines = (dir: string, input: FuzzInput) => {
  const tls = siteOf(input).tls;
  return [
    `pid ${dir}/nginx.pid;`,
    `error_log ${dir}/error.log warn;`,
    ...["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((k) => `_temp_path ${dir}/tmp/${k};`),
    `access_log ${dir}/access.log berth_v1`,
    ...(tls ? [`ssl_certificate ${dir}/tls/`, `ssl_certificate_key ${dir}/tls/`] : []),
    `listen unix:${dir}/status.sock;`,
  ];
};

/** Certificates never reach the config; only the content-named file they are written to does. */
const tlsLines = (input: FuzzInput) => [`/tls/${tlsFileName(siteOf(input).tls as SiteTls)};`];

export const FUZZ_FIELDS: FuzzField[] = [
  {
    name: "backend id",
    target: "table",
    kind: "string",
    benign: FUZZ_BACKEND,
    set: (i, v) => {
      backendOf(i).id = v as string;
      for (const l of siteOf(i).locations) l.backend = v as string;
    },
    error: /backend id/,
    at: (v: string) => [`set $berth_app "${v}";`],
    alphabet: `${LOWER}${DIGITS}-//`,
    odd: [`${"a".repeat(63)}/${"0".repeat(63)}/${"z".repeat(63)}`, "-/-/-", "0/0/0", "a-b/c-d/e-f"],
  },
  {
    name: "stable release",
    target: "table",
    kind: "number",
    benign: 3,
    set: (i, v) => {
      (backendOf(i).stable as { release: unknown }).release = v;
    },
    error: /release for/,
    at: (v: number) => [`    stable ${v};`],
    alphabet: DIGITS,
    odd: [1, 2, Number.MAX_SAFE_INTEGER],
  },
  {
    name: "canary release",
    target: "table",
    kind: "number",
    benign: 4,
    set: (i, v) => {
      (canaryOf(i).pool as { release: unknown }).release = v;
    },
    error: /release for/,
    at: (v: number) => [`    default ${v};\n    stable 3;`],
    alphabet: DIGITS,
    odd: [1, 3, Number.MAX_SAFE_INTEGER],
  },
  {
    name: "stable endpoint address",
    target: "table",
    kind: "string",
    benign: "10.0.0.2",
    set: (i, v) => {
      (backendOf(i).stable?.endpoints[0] as { address: unknown }).address = v;
    },
    error: /endpoint address for/,
    at: (v: string) => [`    server ${v}:8080 max_fails=1 fail_timeout=2s;`],
    alphabet: `${DIGITS}.`,
    structured: randomIpv4,
    odd: ["0.0.0.0", "255.255.255.255", "127.0.0.1", "10.0.0.3"],
  },
  {
    name: "stable endpoint port",
    target: "table",
    kind: "number",
    benign: 8080,
    set: (i, v) => {
      (backendOf(i).stable?.endpoints[0] as { port: unknown }).port = v;
    },
    error: /endpoint port for/,
    at: (v: number) => [`    server 10.0.0.2:${v} max_fails=1 fail_timeout=2s;`],
    alphabet: DIGITS,
    odd: [1, 65535, 8081],
  },
  {
    name: "canary endpoint address",
    target: "table",
    kind: "string",
    benign: "10.0.0.3",
    set: (i, v) => {
      (canaryOf(i).pool.endpoints[0] as { address: unknown }).address = v;
    },
    error: /endpoint address for/,
    at: (v: string) => [`    server ${v}:8081 max_fails=1 fail_timeout=2s;`],
    alphabet: `${DIGITS}.`,
    structured: randomIpv4,
    odd: ["0.0.0.0", "255.255.255.255", "10.0.0.2"],
  },
  {
    name: "canary endpoint port",
    target: "table",
    kind: "number",
    benign: 8081,
    set: (i, v) => {
      (canaryOf(i).pool.endpoints[0] as { port: unknown }).port = v;
    },
    error: /endpoint port for/,
    at: (v: number) => [`    server 10.0.0.3:${v} max_fails=1 fail_timeout=2s;`],
    alphabet: DIGITS,
    odd: [1, 65535, 8080],
  },
  {
    name: "header name",
    target: "table",
    kind: "string",
    benign: "X-Dept",
    set: (i, v) => {
      (canaryOf(i).rules.headers[0] as { name: unknown }).name = v;
    },
    error: /header name for/,
    at: (v: string) => [`  map $http_${v.toLowerCase().replaceAll("-", "_")} $b0_r0 {`],
    api: {
      HeaderRule: parses(HeaderRule, (v) => ({ name: v, value: "eng" })),
      TrafficRules: parses(TrafficRules, (v) => ({ headers: [{ name: v, value: "eng" }] })),
    },
    alphabet: `${UPPER}${LOWER}${DIGITS}--`,
    odd: [
      `A${"b-".repeat(31)}c`,
      "Include",
      "Default",
      "Hostnames",
      "X-Forwarded-For",
      "A0",
      "X--Y",
      "Cookies",
      "Host-Name",
    ],
  },
  {
    name: "header value",
    target: "table",
    kind: "string",
    benign: "eng",
    set: (i, v) => {
      (canaryOf(i).rules.headers[0] as { value: unknown }).value = v;
    },
    error: /header value for/,
    at: (v: string) => [`    ${tagKey(v)} header;`],
    api: {
      HeaderRule: parses(HeaderRule, (v) => ({ name: "X-Dept", value: v })),
      TrafficRules: parses(TrafficRules, (v) => ({ headers: [{ name: "X-Dept", value: v }] })),
    },
    alphabet: `${UPPER}${LOWER}${DIGITS}._~:@+/=-`,
    odd: ODD_TAGS,
  },
  {
    name: "cookie name",
    target: "table",
    kind: "string",
    benign: "canary",
    set: (i, v) => {
      (canaryOf(i).rules.cookie as { name: unknown }).name = v;
    },
    error: /cookie name for/,
    at: (v: string) => [`  map $cookie_${v} $b0_r1 {`],
    api: {
      CookieRule: parses(CookieRule, (v) => ({ name: v, value: "yes" })),
      TrafficRules: parses(TrafficRules, (v) => ({ cookie: { name: v, value: "yes" } })),
    },
    alphabet: `${UPPER}${LOWER}${DIGITS}__`,
    odd: [`a${"_".repeat(63)}`, "include", "Default", "X", "berth_seed2", "http_host"],
  },
  {
    name: "cookie value",
    target: "table",
    kind: "string",
    benign: "yes",
    set: (i, v) => {
      (canaryOf(i).rules.cookie as { value: unknown }).value = v;
    },
    error: /cookie value for/,
    at: (v: string) => [`    ${tagKey(v)} cookie;`],
    api: {
      CookieRule: parses(CookieRule, (v) => ({ name: "canary", value: v })),
      TrafficRules: parses(TrafficRules, (v) => ({ cookie: { name: "canary", value: v } })),
    },
    alphabet: `${UPPER}${LOWER}${DIGITS}._~:@+/=-`,
    odd: ODD_TAGS,
  },
  {
    name: "source CIDR",
    target: "table",
    kind: "string",
    benign: "10.20.0.0/16",
    set: (i, v) => {
      canaryOf(i).rules.sourceCidrs[0] = v as string;
    },
    error: /source CIDR for/,
    at: (v: string) => (dropped(v) ? [] : [`    ${spelled(v)} 1;`]),
    sameShape: (v: string) => (dropped(v) ? v : "10.20.0.0/16"),
    api: cidrApi,
    alphabet: `${HEX}${DIGITS}..:://`,
    structured: randomCidr,
    odd: ODD_CIDRS,
  },
  {
    name: "weight",
    target: "table",
    kind: "number",
    benign: 25,
    set: (i, v) => {
      (canaryOf(i).rules as { weight: unknown }).weight = v;
    },
    error: /weight for/,
    at: (v: number) => (v > 0 && v < 100 ? [`    ${v}% 1;`] : []),
    sameShape: (v: number) => (v === 0 || v === 100 ? v : 25),
    // Left out (undefined), the weight defaults to 0: that is not accepting undefined.
    api: { TrafficRules: (v) => v !== undefined && parses(TrafficRules, (w) => ({ weight: w }))(v) },
    alphabet: DIGITS,
    odd: [0, 1, 50, 99, 100],
  },
  {
    name: "canary seed",
    target: "table",
    kind: "string",
    benign: "c1",
    set: (i, v) => {
      canaryOf(i).seed = v as string;
    },
    error: /canary seed for/,
    at: (v: string) => [`split_clients "\${berth_seed}${v}" $b0_w {`],
    alphabet: `${LOWER}${DIGITS}`,
    odd: ["a".repeat(32), "0", "default", "include", "c18446744073709551616"],
  },
  {
    name: "site host",
    target: "table",
    kind: "string",
    benign: FUZZ_HOST,
    set: (i, v) => {
      siteOf(i).host = v as string;
    },
    error: /site host/,
    at: (v: string) => [`    server_name ${v};`],
    api: { RouteHost: parses(RouteHost, (v) => v) },
    alphabet: `${LOWER}${DIGITS}..-`,
    normalize: (conf) =>
      conf.replace(/server_names_hash_bucket_size \d+;/, "server_names_hash_bucket_size N;"),
    odd: [LONG_HOST, "0", "1.2.3.4", "xn--80ak6aa92e.com", "a-b.c-d", "localhost", "default", "include"],
  },
  {
    name: "location path",
    target: "table",
    kind: "string",
    benign: "/api",
    set: (i, v) => {
      (siteOf(i).locations[1] as { path: unknown }).path = v;
    },
    error: /path for/,
    at: (v: string) => [`    location = ${v} {`, `    location ${v}/ {`],
    api: { RoutePath: parses(RoutePath, (v) => v) },
    alphabet: `${UPPER}${LOWER}${DIGITS}._~-///`,
    odd: [
      `/${"a".repeat(255)}`,
      "/~user",
      "/a_b-c.d~e",
      "/a..b",
      "/0/_/~/-",
      "/api/v1/x",
      "/-",
      "/_",
      "/default",
    ],
  },
  {
    name: "location backend",
    target: "table",
    kind: "string",
    benign: FUZZ_BACKEND,
    set: (i, v) => {
      (siteOf(i).locations[0] as { backend: unknown }).backend = v;
    },
    error: /backend for www\.example\.com\//,
    at: () => [],
    alphabet: `${LOWER}${DIGITS}-//`,
    odd: [FUZZ_BACKEND],
  },
  {
    name: "redirect flag",
    target: "table",
    kind: "boolean",
    benign: true,
    set: (i, v) => {
      (siteOf(i).locations[1] as { redirectHttps: unknown }).redirectHttps = v;
    },
    error: /redirect flag for/,
    at: () => [],
    sameShape: (v: boolean) => v,
    alphabet: "",
    odd: [true, false],
  },
  {
    name: "certificate PEM",
    target: "table",
    kind: "pem",
    benign: FAKE_TLS.certPem,
    set: (i, v) => {
      (siteOf(i).tls as { certPem: unknown }).certPem = v;
    },
    error: /certificate for www\.example\.com "\(PEM\)"/,
    at: (_: string, i) => tlsLines(i),
    alphabet: `${B64}\n`,
    odd: [
      `${FAKE_TLS.certPem}${FAKE_TLS.certPem}`,
      `-----BEGIN CERTIFICATE-----\n${"A".repeat(80)}\n-----END CERTIFICATE-----\n`,
    ],
    machine: true,
  },
  {
    name: "key PEM",
    target: "table",
    kind: "pem",
    benign: FAKE_TLS.keyPem,
    set: (i, v) => {
      (siteOf(i).tls as { keyPem: unknown }).keyPem = v;
    },
    error: /key for www\.example\.com "\(PEM\)"/,
    at: (_: string, i) => tlsLines(i),
    alphabet: `${B64}\n`,
    odd: ["-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----\n"],
    machine: true,
  },
  {
    name: "listen host",
    target: "settings",
    kind: "string",
    benign: "127.0.0.1",
    set: (i, v) => {
      i.settings.listenHosts[0] = v as string;
    },
    error: /listen host/,
    at: (v: string) => [`    listen ${v}:`],
    alphabet: `${DIGITS}..::[]`,
    odd: ["0.0.0.0", "localhost", "[::1]", "[::]", "[fe80::1]", "255.255.255.255"],
    machine: true,
  },
  {
    name: "listen port",
    target: "settings",
    kind: "number",
    benign: 8080,
    set: (i, v) => {
      (i.settings as { port: unknown }).port = v;
    },
    error: /listen port|HTTPS port/,
    at: (v: number) => [`:${v};`, `:${v} default_server deferred;`],
    alphabet: DIGITS,
    odd: [1, 80, 65535],
    machine: true,
  },
  {
    name: "HTTPS port",
    target: "settings",
    kind: "number",
    benign: 8443,
    set: (i, v) => {
      (i.settings as { httpsPort: unknown }).httpsPort = v;
    },
    error: /HTTPS port/,
    at: (v: number) => [
      `:${v} ssl;`,
      `:${v} ssl default_server deferred;`,
      `return 308 https://$host${v === 443 ? "" : `:${v}`}$request_uri;`,
    ],
    alphabet: DIGITS,
    odd: [1, 443, 65535],
    machine: true,
  },
  {
    name: "state dir",
    target: "settings",
    kind: "string",
    benign: "/var/lib/berth/router",
    set: (i, v) => {
      i.settings.stateDir = v as string;
    },
    error: /state directory/,
    at: (v: string, i) => stateDirLines(v, i),
    alphabet: `${UPPER}${LOWER}${DIGITS}._-///`,
    odd: ["/tmp/a-b_c.d", "/tmp/./x", "/x//y", "/.x", `/${"d".repeat(94)}`],
    machine: true,
  },
  {
    name: "generation",
    target: "settings",
    kind: "number",
    benign: 7,
    set: (i, v) => {
      (i.settings as { generation: unknown }).generation = v;
    },
    error: /generation/,
    at: (v: number) => [`# generation ${v} —`, `return 200 "${v}";`],
    alphabet: DIGITS,
    odd: [0, 1, Number.MAX_SAFE_INTEGER],
  },
  {
    name: "trusted proxy",
    target: "settings",
    kind: "string",
    benign: "10.0.0.0/8",
    set: (i, v) => {
      i.settings.trustedProxies[0] = v as string;
    },
    error: /trusted proxy/,
    at: (v: string) => (dropped(v) ? [] : [`  set_real_ip_from ${spelled(v)};`]),
    sameShape: (v: string) => (dropped(v) ? v : "10.0.0.0/8"),
    api: { Cidr: parses(Cidr, (v) => v) },
    alphabet: `${HEX}${DIGITS}..:://`,
    structured: randomCidr,
    odd: ODD_CIDRS,
  },
];

/** Renders nothing of these, ever: the characters that could end a token, a directive or a block. */
export const DANGEROUS_CHAR = /[^\x21-\x7e]|["';{}$\\#`]/;
/** The same for a PEM, whose lines and "BEGIN CERTIFICATE" legitimately hold newlines and spaces. */
export const PEM_DANGEROUS = /[^\x21-\x7e\n ]|["';{}$\\#`]/;

const LOOKALIKES = [
  "；", // full-width semicolon
  "｛",
  "｝",
  "＂",
  "＄",
  "＼",
  "\u037e", // Greek question mark, looks like ';'
  "\u2215", // division slash
  "\uff0f", // full-width solidus
  "\uff0e", // full-width full stop
  "\u2024", // one dot leader
  "\u00a0", // no-break space
  "\u200b", // zero-width space
  "\ufeff", // byte order mark
  "\u202e", // right-to-left override
  "\u2028", // line separator
  "\u2029", // paragraph separator
  "\u0085", // next line
  "а", // Cyrillic a
  "е", // Cyrillic e
  "о", // Cyrillic o
  "с", // Cyrillic s
  "\u212a", // Kelvin sign: lower-cases to 'k'
  "\u0131", // dotless i
  "\u017f", // long s: upper-cases to 'S'
  "e\u0301", // combining accent
  "é",
  "🚀",
  "\ud800", // lone surrogate
];

const PAYLOADS = [
  '"',
  "'",
  ";",
  "{",
  "}",
  "\n",
  "\r",
  "\r\n",
  "\t",
  " ",
  "\v",
  "\f",
  "\0",
  "\x1b",
  "$",
  "\\",
  "#",
  "`",
  '"; include /etc/passwd; #',
  "; include /etc/passwd;",
  "}\nserver {",
  "}\n}\nhttp {\n",
  "$request_id",
  "${berth_seed}",
  "$http_host",
  "\\x00",
  "\\n",
  '\\"',
  "' '",
  "%0a",
  "%3b",
  "\r\nX-Injected: 1",
  "a b",
  "{}",
  "~",
  "*",
  "(.*)",
  "..",
  "/..",
  "/../",
  ...LOOKALIKES,
];

/** Printable ASCII, for random strings. */
const ASCII = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)).join("");
const HOSTILE_CHARS = `"';{}$\\#\`\n\r\t \0${LOOKALIKES.join("")}`;

const pick = (s: string, rand: () => number) => s[Math.floor(rand() * s.length)] as string;
const pickOf = <T>(xs: readonly T[], rand: () => number) => xs[Math.floor(rand() * xs.length)] as T;

function randomChar(field: FuzzField, rand: () => number): string {
  const r = rand();
  if (r < 0.55 && field.alphabet) return pick(field.alphabet, rand);
  if (r < 0.85) return pick(ASCII, rand);
  if (r < 0.95) return pick(HOSTILE_CHARS, rand);
  const code = rand() < 0.8 ? 0x80 + Math.floor(rand() * 0xff80) : 0x10000 + Math.floor(rand() * 0xfffff);
  return String.fromCodePoint(code);
}

function mutate(text: string, field: FuzzField, rand: () => number): string {
  let out = text;
  const edits = 1 + Math.floor(rand() * 3);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(rand() * (out.length + 1));
    const op = rand();
    if (op < 0.4) out = `${out.slice(0, at)}${randomChar(field, rand)}${out.slice(at)}`;
    else if (op < 0.8) out = `${out.slice(0, at)}${randomChar(field, rand)}${out.slice(at + 1)}`;
    else out = `${out.slice(0, at)}${out.slice(at + 1)}`;
  }
  return out;
}

function randomNumber(rand: () => number): unknown {
  const r = rand();
  if (r < 0.25) return Math.floor(rand() * 140_000) - 70_000;
  if (r < 0.45) return Math.floor(rand() * 120) - 10;
  if (r < 0.6) return (rand() - 0.5) * 10 ** Math.floor(rand() * 25);
  if (r < 0.7) return 2 ** Math.floor(rand() * 70) + pickOf([-1, 0, 1], rand);
  if (r < 0.8) return -(2 ** Math.floor(rand() * 70));
  if (r < 0.9) return `${Math.floor(rand() * 70_000)}`;
  return `${Math.floor(rand() * 70_000)}${pickOf(PAYLOADS, rand)}`;
}

export interface FieldCorpus {
  /** Each must be refused: it holds a character no field allows, is far too long, or has the wrong type. */
  mustRefuse: unknown[];
  /** Random values and odd-but-maybe-valid ones: refused with a clear error, or rendered only in place. */
  maybe: unknown[];
}

const TYPE_CONFUSION: unknown[] = [
  null,
  undefined,
  {},
  [],
  Symbol("x"),
  () => "x",
  { toString: () => "x; include /etc/passwd;" },
];

/** The deterministic corpus for one field: a few hundred values of each kind. */
export function fieldCorpus(field: FuzzField, randomCount = 300): FieldCorpus {
  const rand = prng(seedOf(field.name));
  const mustRefuse: unknown[] = [...TYPE_CONFUSION];
  const maybe: unknown[] = [];
  if (field.kind === "number") {
    const b = field.benign as number;
    mustRefuse.push(
      ...[
        Number.NaN,
        Number.POSITIVE_INFINITY,
        Number.NEGATIVE_INFINITY,
        -1,
        -65536,
        1.5,
        b + 0.5,
        0.1 + 0.2,
      ],
      ...[2 ** 53, 2 ** 53 + 2, 1e21, -1e21, Number.MAX_VALUE, Number.MIN_VALUE, Number.EPSILON],
      ...[`${b}`, `${b};`, `${b}; include /etc/passwd;`, `${b}\n`, ` ${b}`, "0x50", "", "1e3"],
      ...[BigInt(b), true, false, [b], { valueOf: () => b }, new Number(b)],
      "1".repeat(10_000),
    );
    for (let n = 0; n < randomCount; n++) maybe.push(randomNumber(rand));
    maybe.push(0, -0, 1, 100, 101, 443, 65535, 65536, Number.MAX_SAFE_INTEGER);
    return { mustRefuse, maybe };
  }
  if (field.kind === "boolean") {
    mustRefuse.push("true", "false", 1, 0, -1, Number.NaN, "yes; include /etc/passwd;", new Boolean(true));
    mustRefuse.push(...PAYLOADS, "true".repeat(2500));
    return { mustRefuse, maybe };
  }
  const b = field.benign as string;
  const middle = Math.floor(b.length / 2);
  mustRefuse.push(0, 1, 8080, true, [b], new String(b));
  for (const p of PAYLOADS) {
    if (!DANGEROUS_CHAR.test(p)) {
      // "..", "~", "*" and "(.*)" are hostile in some fields only.
      maybe.push(p, `${b}${p}`, `${p}${b}`, `${b.slice(0, middle)}${p}${b.slice(middle)}`);
      continue;
    }
    mustRefuse.push(p, `${b}${p}`, `${p}${b}`, `${b.slice(0, middle)}${p}${b.slice(middle)}`);
  }
  // Every character of the benign value swapped for each look-alike.
  for (const l of LOOKALIKES) {
    const at = Math.floor(rand() * b.length);
    mustRefuse.push(`${b.slice(0, at)}${l}${b.slice(at + 1)}`);
  }
  mustRefuse.push(
    b.replace(/[!-~]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)), // all full-width
    "a".repeat(10_000),
    `${b}${"a".repeat(10_000)}`,
    `${"1".repeat(10_000)}`,
    `/${"a".repeat(10_000)}`,
    `${b}${";".repeat(10_000)}`,
    `${b}${"\n".repeat(10_000)}`,
    "é".repeat(10_000),
  );
  if (field.kind === "pem") {
    // Newlines and spaces are part of a PEM (and it never reaches the config): only try them.
    const all = mustRefuse.splice(0);
    const maybePem = (v: unknown) => typeof v === "string" && v.length < 9000 && !PEM_DANGEROUS.test(v);
    mustRefuse.push(...all.filter((v) => !maybePem(v)));
    maybe.push(...all.filter(maybePem));
  }
  maybe.push(
    "default",
    "include",
    "hostnames",
    "volatile",
    "DEFAULT",
    "Include",
    "~a",
    "a~",
    "-",
    "_",
    ".",
    "/",
    "//",
  );
  maybe.push(b.toUpperCase(), b.toLowerCase(), `${b}${b}`, b.repeat(Math.ceil(260 / Math.max(1, b.length))));
  if (field.structured) for (let n = 0; n < randomCount / 2; n++) maybe.push(field.structured(rand));
  for (let n = 0; n < randomCount; n++) {
    if (rand() < 0.5) {
      maybe.push(mutate(b, field, rand));
    } else {
      const length = rand() < 0.9 ? 1 + Math.floor(rand() * 40) : 1 + Math.floor(rand() * 400);
      maybe.push(Array.from({ length }, () => randomChar(field, rand)).join(""));
    }
  }
  return { mustRefuse, maybe };
}

/** The input with `field` set to `value`. */
export function withField(field: FuzzField, value: unknown, tls: SiteTls = FAKE_TLS): FuzzInput {
  const input = fuzzBase(tls);
  field.set(input, value);
  return input;
}
