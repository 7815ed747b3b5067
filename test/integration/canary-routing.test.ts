import { existsSync } from "node:fs";
import { chmod, mkdtemp, readFile, rm } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TrafficRules } from "../../src/domain/traffic-rules.js";
import { NginxRouter } from "../../src/router/nginx-router.js";
import type { RouterTable } from "../../src/router/route.js";
import { freePort } from "../support/free-port.js";
import { inFirstPart } from "../support/nginx-split-clients.js";

/**
 * The canary traffic policy through a real nginx: every request of every case must land where
 * the rules say (not a majority of them), the weight must be accurate and sticky, and the access
 * log must credit the rule that decided.
 */

const HOST = "web.e.t.localhost";
const SECOND_HOST = "api.e.t.localhost";
const APP = "t/e/web";
const TRUSTED_PROXY = "127.0.0.9";
const SEED_COOKIE = /^berth_seed=([0-9a-f]{32}); Path=\/; Max-Age=2592000; HttpOnly; SameSite=Lax$/;

interface Backend {
  server: http.Server;
  port: number;
  /** Request body bytes received, by request path (POSTs only). */
  bodyBytes: Map<string, number>;
  /** Every request path that reached this backend. */
  seen: Set<string>;
}

/** Answers its release and nothing else; remembers how many body bytes each POST carried. */
function startBackend(release: string): Promise<Backend> {
  const bodyBytes = new Map<string, number>();
  const seen = new Set<string>();
  const server = http.createServer((req, res) => {
    seen.add(req.url ?? "");
    let bytes = 0;
    req.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
    });
    req.on("end", () => {
      if (req.method === "POST") bodyBytes.set(req.url ?? "", bytes);
      res.writeHead(200, { "content-type": "text/plain" });
      res.end(release);
    });
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({ server, port: (server.address() as AddressInfo).port, bodyBytes, seen }),
    ),
  );
}

interface Shot {
  /** Source address (127.0.0.x), or "::1" to connect over IPv6. */
  from?: string;
  headers?: http.OutgoingHttpHeaders;
  agent?: http.Agent | false;
  body?: Buffer;
  host?: string;
  port?: number;
}

/** A request that got no answer: whether it went out on a kept-alive connection, and its path. */
class NoAnswer extends Error {
  constructor(
    readonly error: NodeJS.ErrnoException,
    readonly reusedSocket: boolean,
    readonly path: string,
  ) {
    super(error.message);
  }
}

interface Answer {
  status: number;
  body: string;
  path: string;
  /** The berth_seed nginx handed out, if it sent a Set-Cookie. */
  seed: string | undefined;
  setCookies: string[];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

/** Runs `count` jobs, at most `width` at a time. */
async function pool<T>(count: number, width: number, job: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < count; i = next++) results[i] = await job(i);
  };
  await Promise.all(Array.from({ length: Math.min(width, count) }, worker));
  return results;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(!existsSync("/usr/sbin/nginx"))("canary routing through a real nginx", () => {
  const stateDirs: string[] = [];
  const logs: string[] = [];
  const applyMs: number[] = [];
  let stable: Backend;
  let canary: Backend;
  let port: number;
  let router: NginxRouter;
  let seq = 0;
  /** What the backend answered on the main router, by request path: checked against the access log. */
  const answered = new Map<string, string>();

  const rules = (r: Partial<TrafficRules>): TrafficRules => ({
    headers: [],
    cookie: null,
    sourceCidrs: [],
    weight: 0,
    ...r,
  });

  const table = (
    r: Partial<TrafficRules>,
    options: {
      seed?: string;
      canaryEndpoints?: boolean;
      stableEndpoints?: boolean;
      secondSite?: boolean;
    } = {},
  ): RouterTable => ({
    backends: [
      {
        id: APP,
        stable: {
          release: 1,
          endpoints: options.stableEndpoints === false ? [] : [{ address: "127.0.0.1", port: stable.port }],
        },
        canary: {
          pool: {
            release: 2,
            endpoints: options.canaryEndpoints === false ? [] : [{ address: "127.0.0.1", port: canary.port }],
          },
          seed: options.seed ?? "c1",
          rules: rules(r),
        },
      },
    ],
    sites: [
      { host: HOST, tls: null, locations: [{ path: "/", backend: APP, redirectHttps: false }] },
      ...(options.secondSite
        ? [{ host: SECOND_HOST, tls: null, locations: [{ path: "/", backend: APP, redirectHttps: false }] }]
        : []),
    ],
  });

  const apply = async (t: RouterTable, r: NginxRouter = router) => {
    const t0 = performance.now();
    await r.apply(t);
    applyMs.push(performance.now() - t0);
  };

  /** One request; every one gets its own path so the access log line can be found. */
  function send(shot: Shot = {}): Promise<Answer> {
    const target = shot.port ?? port;
    const reqPath = `/c/${++seq}`;
    const v6 = shot.from === "::1";
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: v6 ? "::1" : "127.0.0.1",
          localAddress: shot.from,
          port: target,
          path: reqPath,
          method: shot.body ? "POST" : "GET",
          headers: { host: shot.host ?? HOST, ...shot.headers },
          agent: shot.agent ?? false,
        },
        (res) => {
          let body = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            body += chunk;
          });
          res.on("error", reject);
          res.on("end", () => {
            const setCookies = res.headers["set-cookie"] ?? [];
            const seed = setCookies.map((c) => SEED_COOKIE.exec(c)?.[1]).find((s) => s !== undefined);
            const status = res.statusCode ?? 0;
            if (target === port && status === 200) answered.set(reqPath, body);
            resolve({ status, body, path: reqPath, seed, setCookies });
          });
        },
      );
      req.on("error", (err) => reject(new NoAnswer(err, req.reusedSocket, reqPath)));
      req.end(shot.body);
    });
  }

  /** Sends `count` requests like `shot` and counts the answers: "1", "2", or "<status> <body>". */
  async function tally(count: number, shot: Shot = {}): Promise<Record<string, number>> {
    const agent = shot.agent || new http.Agent({ keepAlive: true, maxSockets: 8 });
    try {
      const answers = await pool(count, 8, () => send({ ...shot, agent }));
      const counts: Record<string, number> = {};
      for (const a of answers) {
        const key = a.status === 200 ? a.body : `${a.status} ${a.body}`;
        counts[key] = (counts[key] ?? 0) + 1;
      }
      return counts;
    } finally {
      if (!shot.agent) agent.destroy();
    }
  }

  interface LogLine {
    app: string;
    release: string;
    rule: string;
    status: string;
    remoteAddr: string;
    host: string;
  }

  /** The access log lines of `paths`, waiting for nginx's 1 s buffer flush. */
  async function logLinesFor(
    paths: string[],
    stateDir = stateDirs[0] as string,
  ): Promise<Map<string, LogLine>> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const text = await readFile(path.join(stateDir, "access.log"), "utf8").catch(() => "");
      const byPath = new Map<string, LogLine>();
      for (const line of text.split("\n")) {
        const f = line.split("\t");
        if (f.length !== 10) continue;
        const [, app, release, rule, status, , , remoteAddr, host, request] = f as string[];
        const reqPath = request?.split(" ")[1];
        if (reqPath === undefined) continue;
        byPath.set(reqPath, {
          app: app ?? "",
          release: release ?? "",
          rule: rule ?? "",
          status: status ?? "",
          remoteAddr: remoteAddr ?? "",
          host: host ?? "",
        });
      }
      if (paths.every((p) => byPath.has(p)) || Date.now() > deadline) return byPath;
      await sleep(200);
    }
  }

  const newRouter = async (trustedProxies: string[], listenHosts = ["127.0.0.1", "[::1]"]) => {
    const stateDir = await mkdtemp(path.join(os.tmpdir(), "berth-canary-"));
    // nginx workers run as "nobody" when the tests run as root; they must reach the temp dirs.
    await chmod(stateDir, 0o755);
    stateDirs.push(stateDir);
    const [p, httpsPort] = [await freePort(), await freePort()];
    const r = new NginxRouter({
      stateDir,
      listenHosts,
      port: p,
      httpsPort,
      trustedProxies,
      log: (msg) => logs.push(msg),
    });
    return { router: r, port: p };
  };

  beforeAll(async () => {
    [stable, canary] = await Promise.all([startBackend("1"), startBackend("2")]);
    ({ router, port } = await newRouter([`${TRUSTED_PROXY}/32`]));
    await router.start(table({}));
    expect(logs.filter((m) => m.includes("warning"))).toEqual([]);
  });

  afterAll(async () => {
    await router?.stop();
    await Promise.all([stable, canary].map((b) => b && new Promise((resolve) => b.server.close(resolve))));
    for (const dir of stateDirs) await rm(dir, { recursive: true, force: true });
    console.log(
      `apply: median ${median(applyMs).toFixed(1)} ms, max ${Math.max(...applyMs).toFixed(1)} ms over ${applyMs.length}`,
    );
  });

  it("sends requests with a matching header value to the canary, and only those", async () => {
    await apply(
      table({
        headers: [
          { name: "X-Dept", value: "finance" },
          { name: "X-Dept", value: "legal" },
          { name: "X-Canary", value: "yes" },
        ],
      }),
    );
    expect(await tally(20, { headers: { "X-Dept": "finance" } })).toEqual({ 2: 20 });
    expect(await tally(20, { headers: { "X-Dept": "legal" } })).toEqual({ 2: 20 });
    expect(await tally(20, { headers: { "X-Canary": "yes" } })).toEqual({ 2: 20 });
    expect(await tally(20, { headers: { "X-Dept": "sales" } })).toEqual({ 1: 20 });
    expect(await tally(20, { headers: { "X-Canary": "no" } })).toEqual({ 1: 20 });
    expect(await tally(20)).toEqual({ 1: 20 });
    // The whole value must match: no prefixes, suffixes or lists.
    expect(await tally(10, { headers: { "X-Dept": "fin" } })).toEqual({ 1: 10 });
    expect(await tally(10, { headers: { "X-Dept": "financex" } })).toEqual({ 1: 10 });
    expect(await tally(10, { headers: { "X-Dept": "finance, sales" } })).toEqual({ 1: 10 });
    // Another header carrying the value does not count.
    expect(await tally(10, { headers: { "X-Team": "finance" } })).toEqual({ 1: 10 });
  });

  it("matches header names ignoring case and header values exactly, case and all", async () => {
    await apply(table({ headers: [{ name: "X-Dept", value: "finance" }] }));
    // Header names are case-insensitive in HTTP; nginx reads any spelling as $http_x_dept.
    expect(await tally(20, { headers: { "x-dept": "finance" } })).toEqual({ 2: 20 });
    expect(await tally(20, { headers: { "X-DEPT": "finance" } })).toEqual({ 2: 20 });
    // Values are case-sensitive.
    expect(await tally(20, { headers: { "X-Dept": "Finance" } })).toEqual({ 1: 20 });
    expect(await tally(20, { headers: { "X-Dept": "FINANCE" } })).toEqual({ 1: 20 });
    // A rule spelled with capitals: its name still matches any spelling, its value only itself.
    await apply(table({ headers: [{ name: "x-DEPT", value: "Finance" }] }));
    expect(await tally(20, { headers: { "X-Dept": "Finance" } })).toEqual({ 2: 20 });
    expect(await tally(20, { headers: { "X-Dept": "finance" } })).toEqual({ 1: 20 });
    // A header name with '_' instead of '-' is dropped by nginx (ignore_invalid_headers).
    expect(await tally(20, { headers: { X_Dept: "Finance" } })).toEqual({ 1: 20 });
    // '.' and '+' in a value are literal characters, not a pattern.
    await apply(table({ headers: [{ name: "X-Ver", value: "v1.2+b" }] }));
    expect(await tally(10, { headers: { "X-Ver": "v1.2+b" } })).toEqual({ 2: 10 });
    expect(await tally(10, { headers: { "X-Ver": "v1x2+b" } })).toEqual({ 1: 10 });
    expect(await tally(10, { headers: { "X-Ver": "v1.22b" } })).toEqual({ 1: 10 });
    // The longest value, with every character a value may hold.
    const long = `A0._~:@+/=-${"x".repeat(117)}`;
    expect(long).toHaveLength(128);
    await apply(table({ headers: [{ name: "X-Ver", value: long }] }));
    expect(await tally(10, { headers: { "X-Ver": long } })).toEqual({ 2: 10 });
    expect(await tally(10, { headers: { "X-Ver": long.slice(0, -1) } })).toEqual({ 1: 10 });
    expect(await tally(10, { headers: { "X-Ver": `${long}x` } })).toEqual({ 1: 10 });
  });

  it("accepts two rules whose values differ only in case", async () => {
    // Both are valid, distinct tag values; nginx would refuse a map with both spellings as keys.
    await apply(
      table({
        headers: [
          { name: "X-Dept", value: "finance" },
          { name: "X-Dept", value: "Finance" },
          { name: "x-dept", value: "legal" },
        ],
      }),
    );
    expect(await tally(10, { headers: { "X-Dept": "finance" } })).toEqual({ 2: 10 });
    expect(await tally(10, { headers: { "X-Dept": "Finance" } })).toEqual({ 2: 10 });
    expect(await tally(10, { headers: { "X-Dept": "legal" } })).toEqual({ 2: 10 });
    expect(await tally(10, { headers: { "X-Dept": "FINANCE" } })).toEqual({ 1: 10 });
    expect(await tally(10, { headers: { "X-Dept": "sales" } })).toEqual({ 1: 10 });
  });

  it("sends requests with the rule's cookie to the canary, and only those", async () => {
    await apply(table({ cookie: { name: "grp", value: "beta" } }));
    expect(await tally(20, { headers: { cookie: "grp=beta" } })).toEqual({ 2: 20 });
    expect(await tally(20, { headers: { cookie: "grp=alpha" } })).toEqual({ 1: 20 });
    expect(await tally(20, { headers: { cookie: "a=1; grp=beta; b=2" } })).toEqual({ 2: 20 });
    expect(await tally(20, { headers: { cookie: "a=1; grp=alpha; b=2" } })).toEqual({ 1: 20 });
    expect(await tally(20)).toEqual({ 1: 20 });
    expect(await tally(10, { headers: { cookie: "xgrp=beta" } })).toEqual({ 1: 10 });
    expect(await tally(10, { headers: { cookie: "grp=betax" } })).toEqual({ 1: 10 });
    expect(await tally(10, { headers: { "X-Grp": "beta" } })).toEqual({ 1: 10 });
    // Cookie values are case-sensitive; nginx finds the cookie by name ignoring case.
    expect(await tally(10, { headers: { cookie: "grp=BETA" } })).toEqual({ 1: 10 });
    expect(await tally(10, { headers: { cookie: "GRP=beta" } })).toEqual({ 2: 10 });
    // A cookie sent twice: nginx reads the first.
    expect(await tally(10, { headers: { cookie: "grp=beta; grp=alpha" } })).toEqual({ 2: 10 });
    expect(await tally(10, { headers: { cookie: "grp=alpha; grp=beta" } })).toEqual({ 1: 10 });
    // A rule's cookie name spelled with capitals finds the cookie in any spelling as well.
    await apply(table({ cookie: { name: "Grp", value: "beta" } }));
    expect(await tally(10, { headers: { cookie: "grp=beta" } })).toEqual({ 2: 10 });
    expect(await tally(10, { headers: { cookie: "Grp=beta" } })).toEqual({ 2: 10 });
    expect(await tally(10, { headers: { cookie: "Grp=Beta" } })).toEqual({ 1: 10 });
  });

  it("sends requests from the rule's source networks to the canary, IPv4 and IPv6", async () => {
    await apply(table({ sourceCidrs: ["127.0.0.5/32", "::1/128"] }));
    expect(await tally(20, { from: "127.0.0.5" })).toEqual({ 2: 20 });
    expect(await tally(20, { from: "127.0.0.6" })).toEqual({ 1: 20 });
    expect(await tally(20, { from: "127.0.0.1" })).toEqual({ 1: 20 });
    expect(await tally(20, { from: "::1" })).toEqual({ 2: 20 });

    await apply(table({ sourceCidrs: ["127.0.0.5/32"] }));
    expect(await tally(20, { from: "::1" })).toEqual({ 1: 20 });
    expect(await tally(20, { from: "127.0.0.5" })).toEqual({ 2: 20 });

    await apply(table({ sourceCidrs: ["127.0.0.4/30"] }));
    for (const from of ["127.0.0.4", "127.0.0.5", "127.0.0.6", "127.0.0.7"]) {
      expect({ from, got: await tally(10, { from }) }).toEqual({ from, got: { 2: 10 } });
    }
    for (const from of ["127.0.0.3", "127.0.0.8", "::1"]) {
      expect({ from, got: await tally(10, { from }) }).toEqual({ from, got: { 1: 10 } });
    }
  });

  it("believes X-Forwarded-For only from a trusted proxy", async () => {
    await apply(table({ sourceCidrs: ["10.0.0.0/8", "127.0.0.5/32"] }));
    // An untrusted peer cannot forge its way in.
    expect(await tally(20, { from: "127.0.0.1", headers: { "x-forwarded-for": "127.0.0.5" } })).toEqual({
      1: 20,
    });
    expect(await tally(20, { from: "127.0.0.1", headers: { "x-forwarded-for": "10.1.2.3" } })).toEqual({
      1: 20,
    });
    expect(await tally(20, { from: "::1", headers: { "x-forwarded-for": "10.1.2.3" } })).toEqual({ 1: 20 });
    // The trusted proxy speaks for its client.
    expect(await tally(20, { from: TRUSTED_PROXY, headers: { "x-forwarded-for": "10.1.2.3" } })).toEqual({
      2: 20,
    });
    expect(await tally(20, { from: TRUSTED_PROXY, headers: { "x-forwarded-for": "127.0.0.5" } })).toEqual({
      2: 20,
    });
    expect(await tally(20, { from: TRUSTED_PROXY, headers: { "x-forwarded-for": "192.0.2.7" } })).toEqual({
      1: 20,
    });
    expect(await tally(20, { from: TRUSTED_PROXY })).toEqual({ 1: 20 });
    // Recursive: the right-most address that is not a trusted proxy is the client.
    const chain = (xff: string) => tally(10, { from: TRUSTED_PROXY, headers: { "x-forwarded-for": xff } });
    expect(await chain(`10.1.2.3, ${TRUSTED_PROXY}`)).toEqual({ 2: 10 });
    expect(await chain("10.1.2.3, 127.0.0.1")).toEqual({ 1: 10 });
    expect(await chain("127.0.0.1, 10.1.2.3")).toEqual({ 2: 10 });

    const one = await send({ from: TRUSTED_PROXY, headers: { "x-forwarded-for": "10.1.2.3" } });
    const forged = await send({ from: "127.0.0.1", headers: { "x-forwarded-for": "10.1.2.3" } });
    const lines = await logLinesFor([one.path, forged.path]);
    expect(lines.get(one.path)).toMatchObject({ remoteAddr: "10.1.2.3", rule: "cidr", release: "2" });
    expect(lines.get(forged.path)).toMatchObject({ remoteAddr: "127.0.0.1", rule: "stable", release: "1" });
  });

  it("without trusted proxies, decides by the TCP peer even when it sends X-Forwarded-For", async () => {
    const second = await newRouter([], ["127.0.0.1"]);
    try {
      await second.router.start(table({ sourceCidrs: ["10.0.0.0/8"] }));
      const viaProxy: Shot = {
        port: second.port,
        from: TRUSTED_PROXY,
        headers: { "x-forwarded-for": "10.1.2.3" },
      };
      expect(await tally(20, viaProxy)).toEqual({ 1: 20 });
      await apply(table({ sourceCidrs: [`${TRUSTED_PROXY}/32`] }), second.router);
      expect(await tally(20, viaProxy)).toEqual({ 2: 20 });
      expect(await tally(20, { ...viaProxy, from: "127.0.0.1" })).toEqual({ 1: 20 });
      const one = await send(viaProxy);
      const lines = await logLinesFor([one.path], stateDirs[stateDirs.length - 1]);
      expect(lines.get(one.path)).toMatchObject({ remoteAddr: TRUSTED_PROXY, rule: "cidr", release: "2" });
    } finally {
      await second.router.stop();
    }
  });

  it("applies header, then cookie, then source CIDR, then weight; the access log credits the decider", async () => {
    const all = {
      headers: [{ name: "X-Dept", value: "finance" }],
      cookie: { name: "grp", value: "beta" },
      sourceCidrs: ["127.0.0.5/32"],
    };
    const everything: Shot = { from: "127.0.0.5", headers: { "X-Dept": "finance", cookie: "grp=beta" } };
    const cookieAndCidr: Shot = { from: "127.0.0.5", headers: { cookie: "grp=beta", "X-Dept": "sales" } };
    const headerAndCookie: Shot = { from: "127.0.0.1", headers: { "X-Dept": "finance", cookie: "grp=beta" } };
    const cidrOnly: Shot = { from: "127.0.0.5", headers: { cookie: "grp=alpha" } };
    const nothing: Shot = { from: "127.0.0.1", headers: { "X-Dept": "sales", cookie: "grp=alpha" } };
    const cases: { name: string; shot: Shot; weight: number; rule: string; release: string }[] = [
      { name: "header+cookie+cidr", shot: everything, weight: 0, rule: "header", release: "2" },
      { name: "header+cookie", shot: headerAndCookie, weight: 0, rule: "header", release: "2" },
      { name: "cookie+cidr", shot: cookieAndCidr, weight: 0, rule: "cookie", release: "2" },
      { name: "cidr", shot: cidrOnly, weight: 0, rule: "cidr", release: "2" },
      { name: "none, weight 0", shot: nothing, weight: 0, rule: "stable", release: "1" },
      { name: "header+cookie+cidr, weight 100", shot: everything, weight: 100, rule: "header", release: "2" },
      { name: "cidr, weight 100", shot: cidrOnly, weight: 100, rule: "cidr", release: "2" },
      { name: "none, weight 100", shot: nothing, weight: 100, rule: "weight", release: "2" },
    ];
    const sent: { name: string; path: string; body: string; rule: string; release: string }[] = [];
    for (const weight of [0, 100]) {
      await apply(table({ ...all, weight }));
      for (const c of cases.filter((c) => c.weight === weight)) {
        for (let i = 0; i < 10; i++) {
          const a = await send(c.shot);
          expect({ case: c.name, status: a.status }).toEqual({ case: c.name, status: 200 });
          sent.push({ name: c.name, path: a.path, body: a.body, rule: c.rule, release: c.release });
        }
      }
    }
    // At 50 % the log must say "weight" exactly when the canary answered, "stable" otherwise.
    await apply(table({ ...all, weight: 50 }));
    const split = await pool(200, 8, () => send(nothing));
    const lines = await logLinesFor([...sent, ...split].map((s) => s.path));
    for (const s of sent) {
      expect({ case: s.name, body: s.body, log: lines.get(s.path) }).toEqual({
        case: s.name,
        body: s.release,
        log: expect.objectContaining({
          app: APP,
          release: s.release,
          rule: s.rule,
          status: "200",
          host: HOST,
        }),
      });
    }
    const splitRules: Record<string, number> = {};
    for (const a of split) {
      const line = lines.get(a.path);
      const key = `${line?.rule}:${line?.release}:${a.body}`;
      splitRules[key] = (splitRules[key] ?? 0) + 1;
    }
    expect(Object.keys(splitRules).sort()).toEqual(["stable:1:1", "weight:2:2"]);
  });

  it("gives the canary its weight of clients, exactly as split_clients hashes their seeds", async () => {
    await apply(table({ weight: 10 }));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
    const t0 = performance.now();
    const answers = await pool(20_000, 32, () => send({ agent }));
    const seconds = (performance.now() - t0) / 1000;
    agent.destroy();
    const statuses = new Set(answers.map((a) => a.status));
    expect([...statuses]).toEqual([200]);
    // Every client without a seed got one, and each one is new.
    expect(answers.every((a) => a.seed !== undefined)).toBe(true);
    expect(new Set(answers.map((a) => a.seed)).size).toBe(answers.length);
    // Each decision is the one split_clients makes for the seed nginx handed out.
    const wrong = answers.filter((a) => a.body !== (inFirstPart(`${a.seed}c1`, 10) ? "2" : "1"));
    expect(wrong.length).toBe(0);
    const share = answers.filter((a) => a.body === "2").length / answers.length;
    console.log(
      `weight 10: canary share ${(share * 100).toFixed(2)} % of ${answers.length} clients ` +
        `(${Math.round(answers.length / seconds)} req/s)`,
    );
    expect(share).toBeGreaterThanOrEqual(0.09);
    expect(share).toBeLessThanOrEqual(0.11);
  });

  it("keeps a client with its seed on one release; raising the weight only moves clients to the canary", async () => {
    await apply(table({ weight: 10 }, { seed: "c1" }));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
    const clients = await pool(200, 32, async () => {
      const first = await send({ agent });
      expect(first.status).toBe(200);
      expect(first.setCookies).toHaveLength(1);
      const seed = first.seed as string;
      expect(seed).toMatch(/^[0-9a-f]{32}$/);
      const again: Answer[] = [];
      for (let i = 0; i < 50; i++)
        again.push(await send({ agent, headers: { cookie: `berth_seed=${seed}` } }));
      return { seed, release: first.body, again };
    });
    for (const c of clients) {
      expect(c.again.map((a) => a.body)).toEqual(Array(50).fill(c.release));
      // A client that has a seed is never sent another.
      expect(c.again.every((a) => a.setCookies.length === 0)).toBe(true);
      expect(c.release).toBe(inFirstPart(`${c.seed}c1`, 10) ? "2" : "1");
    }
    const at10 = clients.map((c) => c.release);

    // A fresh pool per table: a reload closes idle keep-alive connections (docs/grayscale.md).
    const releasesNow = async () => {
      const fresh = new http.Agent({ keepAlive: true, maxSockets: 32 });
      const answers = await pool(200, 32, (i) =>
        send({ agent: fresh, headers: { cookie: `a=1; berth_seed=${clients[i]?.seed}` } }),
      );
      fresh.destroy();
      expect(answers.every((a) => a.status === 200 && a.setCookies.length === 0)).toBe(true);
      return answers.map((a) => a.body);
    };

    await apply(table({ weight: 50, headers: [{ name: "X-Dept", value: "finance" }] }, { seed: "c1" }));
    const at50 = await releasesNow();
    const stayed = at10.filter((r, i) => r === "2" && at50[i] === "2").length;
    const left = at10.filter((r, i) => r === "2" && at50[i] === "1").length;
    const joined = at10.filter((r, i) => r === "1" && at50[i] === "2").length;
    expect(left).toBe(0);
    expect(stayed).toBe(at10.filter((r) => r === "2").length);
    expect(joined).toBeGreaterThan(0);
    clients.forEach((c, i) => {
      expect(at50[i]).toBe(inFirstPart(`${c.seed}c1`, 50) ? "2" : "1");
    });

    // A new canary has a new seed: its clients are drawn afresh.
    await apply(table({ weight: 50 }, { seed: "c2" }));
    const reRolled = await releasesNow();
    const changed = reRolled.filter((r, i) => r !== at50[i]).length;
    expect(changed).toBeGreaterThan(0);
    clients.forEach((c, i) => {
      expect(reRolled[i]).toBe(inFirstPart(`${c.seed}c2`, 50) ? "2" : "1");
    });
    agent.destroy();
    console.log(
      `stickiness: of 200 clients ${at10.filter((r) => r === "2").length} on the canary at 10 %, ` +
        `${stayed} stayed and ${joined} joined at 50 %; seed c2 moved ${changed}`,
    );
  });

  it("sends everything to stable at weight 0, everything to the canary at 100, and never sets a seed then", async () => {
    const noSeed = async (shot: Shot = {}) => {
      const answers = await pool(40, 8, () => send(shot));
      expect(answers.filter((a) => a.setCookies.length > 0)).toEqual([]);
      return answers.map((a) => a.body).join("");
    };
    await apply(table({ weight: 0 }));
    expect(await tally(100)).toEqual({ 1: 100 });
    expect(await noSeed()).toBe("1".repeat(40));
    await apply(table({ weight: 100 }));
    expect(await tally(100)).toEqual({ 2: 100 });
    expect(await noSeed()).toBe("2".repeat(40));
    // With a rule the split is rendered as maps; still no seed outside 0 < weight < 100.
    await apply(table({ weight: 0, headers: [{ name: "X-Dept", value: "finance" }] }));
    expect(await noSeed()).toBe("1".repeat(40));
    expect(await noSeed({ headers: { "X-Dept": "finance" } })).toBe("2".repeat(40));
    await apply(table({ weight: 100, headers: [{ name: "X-Dept", value: "finance" }] }));
    expect(await noSeed()).toBe("2".repeat(40));
    // Inside, a seed goes only to clients without one (a rule-matched request gets one too).
    await apply(table({ weight: 30, headers: [{ name: "X-Dept", value: "finance" }] }));
    const fresh = await pool(20, 8, () => send({ headers: { "X-Dept": "finance" } }));
    expect(fresh.every((a) => a.body === "2" && a.seed !== undefined && a.setCookies.length === 1)).toBe(
      true,
    );
    expect(await noSeed({ headers: { cookie: "berth_seed=0123456789abcdef0123456789abcdef" } })).toMatch(
      /^(1+|2+)$/,
    );
  });

  it("sends everything to stable when the canary pool has no endpoints, and to the canary when stable has none", async () => {
    const paths: string[] = [];
    for (const r of [
      { weight: 100 },
      { weight: 50 },
      { weight: 100, headers: [{ name: "X-Dept", value: "finance" }], sourceCidrs: ["127.0.0.0/8"] },
    ]) {
      await apply(table(r, { canaryEndpoints: false }));
      expect(await tally(50)).toEqual({ 1: 50 });
      expect(await tally(20, { headers: { "X-Dept": "finance" } })).toEqual({ 1: 20 });
      const one = await send({ from: "127.0.0.5", headers: { "X-Dept": "finance" } });
      expect(one.setCookies).toEqual([]);
      paths.push(one.path);
    }
    // The other way round, the healthy canary serves everyone rather than nobody.
    await apply(
      table({ weight: 0, headers: [{ name: "X-Dept", value: "finance" }] }, { stableEndpoints: false }),
    );
    expect(await tally(50)).toEqual({ 2: 50 });
    const down = await send();
    const lines = await logLinesFor([...paths, down.path]);
    for (const p of paths) expect(lines.get(p)).toMatchObject({ release: "1", rule: "stable" });
    expect(lines.get(down.path)).toMatchObject({ release: "2" });
    console.log(
      `stable release down: served by the canary, logged with rule "${lines.get(down.path)?.rule}"`,
    );
  });

  /** 30 distinct tables: weights, header rules, a cookie rule, a CIDR rule, a second site, the seed. */
  const thirtyTables = (): RouterTable[] => {
    const tables = Array.from({ length: 30 }, (_, i) =>
      table(
        {
          // 37 is invertible mod 101: 30 distinct weights, from 0 to 100.
          weight: i === 29 ? 100 : (i * 37) % 101,
          headers: [
            ...(i % 3 === 0 ? [{ name: "X-Dept", value: "finance" }] : []),
            ...(i % 4 === 1 ? [{ name: "X-Canary", value: `v${i}` }] : []),
          ],
          cookie: i % 5 === 2 ? { name: "grp", value: "beta" } : null,
          sourceCidrs: i % 6 === 3 ? ["127.0.0.5/32"] : [],
        },
        { secondSite: i % 2 === 1, seed: i < 15 ? "c1" : "c2" },
      ),
    );
    expect(new Set(tables.map((t) => JSON.stringify(t))).size).toBe(30);
    return tables;
  };

  interface LoadResult {
    get: number;
    post: number;
    /** Non-2xx answers, or answers that are not a release. */
    badAnswers: string[];
    /** Requests that got no answer at all. */
    noAnswers: NoAnswer[];
    seconds: number;
  }

  /**
   * 16 loops of GETs and POSTs (bodies up to 64 KiB) while the 30 tables are applied back to
   * back. Node's agent never retries, so a request lost on a closing connection shows. Checks
   * that every POST that was answered reached one backend, once and whole.
   */
  async function loadWhileApplying(agent: http.Agent | false): Promise<LoadResult> {
    const tables = thirtyTables();
    await apply(table({ weight: 50 }));
    const generation = router.generation ?? 0;
    const result: LoadResult = { get: 0, post: 0, badAnswers: [], noAnswers: [], seconds: 0 };
    const posts: { path: string; size: number }[] = [];
    let stop = false;
    const loop = async (i: number) => {
      for (let n = 0; !stop; n++) {
        const isPost = (i + n) % 2 === 0;
        const size = isPost ? 1 + ((i * 7919 + n * 104_729) % 65_536) : 0;
        const shot: Shot = {
          agent,
          body: isPost ? Buffer.alloc(size, 0x61) : undefined,
          headers: n % 3 === 0 ? { "X-Dept": "finance" } : n % 3 === 1 ? { cookie: "grp=beta" } : {},
          from: n % 5 === 0 ? "127.0.0.5" : undefined,
        };
        try {
          const a = await send(shot);
          if (a.status < 200 || a.status > 299 || (a.body !== "1" && a.body !== "2")) {
            result.badAnswers.push(`${isPost ? "POST" : "GET"} ${a.status} ${a.body.trim()}`);
          } else if (isPost) posts.push({ path: a.path, size });
        } catch (err) {
          if (!(err instanceof NoAnswer)) throw err;
          result.noAnswers.push(err);
        }
        result[isPost ? "post" : "get"]++;
      }
    };
    const traffic = Promise.all(Array.from({ length: 16 }, (_, i) => loop(i)));
    await sleep(200);
    const t0 = performance.now();
    try {
      for (const t of tables) await apply(t);
    } finally {
      result.seconds = (performance.now() - t0) / 1000;
      await sleep(200);
      stop = true;
      await traffic;
      if (agent) agent.destroy();
    }
    expect(router.generation).toBe(generation + 30);
    expect(result.get).toBeGreaterThan(500);
    expect(result.post).toBeGreaterThan(500);
    const received = posts.map((p) => stable.bodyBytes.get(p.path) ?? canary.bodyBytes.get(p.path));
    expect(received).toEqual(posts.map((p) => p.size));
    expect(posts.filter((p) => stable.seen.has(p.path) && canary.seen.has(p.path))).toEqual([]);
    return result;
  }

  const describeLoad = (name: string, r: LoadResult) => {
    const codes: Record<string, number> = {};
    for (const e of r.noAnswers) {
      const key = `${e.error.code ?? e.message}${e.reusedSocket ? " (reused connection)" : ""}`;
      codes[key] = (codes[key] ?? 0) + 1;
    }
    console.log(
      `${name}: ${r.get} GET + ${r.post} POST while 30 tables were applied in ${r.seconds.toFixed(1)} s; ` +
        `${r.badAnswers.length + r.noAnswers.length} failed ${JSON.stringify(codes)}`,
    );
  };

  it("loses no request, GET or POST, on new connections while 30 tables are applied back to back", async () => {
    const r = await loadWhileApplying(false);
    describeLoad("new connections", r);
    expect(r.badAnswers).toEqual([]);
    expect(r.noAnswers.map((e) => `${e.path}: ${e.message}`)).toEqual([]);
  });

  it("on kept-alive connections, loses only requests nginx never read, while 30 tables are applied", async () => {
    // A reload makes the old worker close its idle keep-alive connections at once (nginx's
    // ngx_close_idle_connections), even one whose next request is already on the wire: the
    // client gets a reset for a request nobody saw. HTTP/1.1 lets a client retry that (Node
    // documents it: req.reusedSocket && ECONNRESET); a POST client that never retries loses it.
    // More sockets than loops: a request never waits for a busy socket (Node then does not flag the reuse).
    const r = await loadWhileApplying(new http.Agent({ keepAlive: true, maxSockets: 32 }));
    describeLoad("kept-alive connections", r);
    expect(r.badAnswers).toEqual([]);
    // A request sent after the load: once its line is in, so are the lines of the ones before.
    const marker = await send();
    const lines = await logLinesFor([marker.path]);
    expect(lines.has(marker.path)).toBe(true);
    const unexpected = r.noAnswers.filter(
      (e) =>
        !e.reusedSocket ||
        !["ECONNRESET", "EPIPE"].includes(e.error.code ?? "") ||
        stable.seen.has(e.path) ||
        canary.seen.has(e.path) ||
        lines.has(e.path),
    );
    expect(unexpected.map((e) => `${e.path}: ${e.message} (reused: ${e.reusedSocket})`)).toEqual([]);
  });

  it("logs every request with the release that answered it", async () => {
    const paths = [...answered.keys()];
    const lines = await logLinesFor(paths);
    const mismatched: string[] = [];
    const rules: Record<string, number> = {};
    for (const [p, body] of answered) {
      const line = lines.get(p);
      // Only "stable" may name release 1 (it names the canary's when the stable release is down).
      const ruleOk = line && (line.rule === "stable" || line.release === "2");
      if (!line || line.release !== body || line.app !== APP || !ruleOk) {
        mismatched.push(`${p} answered ${body}, logged ${JSON.stringify(line)}`);
      }
      if (line) rules[line.rule] = (rules[line.rule] ?? 0) + 1;
    }
    expect(mismatched.slice(0, 10)).toEqual([]);
    console.log(`access log: ${paths.length} requests checked; by rule ${JSON.stringify(rules)}`);
  });
});
