import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import net from "node:net";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchStatusGeneration } from "../../src/router/fetch-status-generation.js";
import { NginxRouter } from "../../src/router/nginx-router.js";
import { renderNginxConfig } from "../../src/router/render-nginx-config.js";
import type { Backend, RouterTable, Site, SiteTls } from "../../src/router/route.js";
import type { RouterSettings } from "../../src/router/router-settings.js";
import { tlsFileContent, tlsFileName } from "../../src/router/tls-file-name.js";
import { freePort } from "../support/free-port.js";
import {
  FAKE_TLS,
  FUZZ_FIELDS,
  FUZZ_HOST,
  type FuzzField,
  type FuzzInput,
  fieldCorpus,
  fuzzBase,
  LONG_HOST,
  ODD_CIDRS,
  ODD_TAGS,
  prng,
  selfSignedTls,
  shuffled,
} from "../support/router-table.js";

const NGINX = "/usr/sbin/nginx";
const execFileAsync = promisify(execFile);

/** Writes the config and its certificate files into `stateDir` and asks `nginx -t` about it. */
async function nginxTest(table: RouterTable, settings: RouterSettings): Promise<string | null> {
  const conf = renderNginxConfig(table, settings);
  const dir = settings.stateDir;
  await mkdir(path.join(dir, "tmp"), { recursive: true });
  await mkdir(path.join(dir, "tls"), { recursive: true });
  for (const site of table.sites) {
    if (site.tls) await writeFile(path.join(dir, "tls", tlsFileName(site.tls)), tlsFileContent(site.tls));
  }
  const file = path.join(dir, "nginx.conf");
  await writeFile(file, conf);
  try {
    await execFileAsync(NGINX, ["-t", "-q", "-c", file, "-p", `${dir}/`]);
    return null;
  } catch (err) {
    return String((err as { stderr?: string }).stderr ?? err).trim();
  }
}

function bindable(port: number, host = "127.0.0.1"): Promise<boolean> {
  const server = net.createServer();
  return new Promise((resolve) => {
    server.once("error", () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

const show = (v: unknown) => {
  let text: string;
  try {
    text = JSON.stringify(v) ?? String(v);
  } catch {
    text = typeof v;
  }
  return text.length > 70 ? `${text.slice(0, 70)}…(${text.length})` : text;
};

describe.skipIf(!existsSync(NGINX))("rendered configs with odd but accepted values pass nginx -t", () => {
  let dir: string;
  let tls: SiteTls & { sec1KeyPem: string };
  let port: number;
  let httpsPort: number;
  /** Values for the fields whose valid values depend on this machine (bindable, existing, loadable). */
  const machineOdd = new Map<string, unknown[]>();

  /** fuzzBase with a real certificate, bindable ports and a state dir that exists. */
  const input = (): FuzzInput => {
    const i = fuzzBase(tls);
    Object.assign(i.settings, { stateDir: dir, port, httpsPort });
    return i;
  };

  beforeAll(async () => {
    // Short, under /tmp: the status socket path must fit in 108 bytes.
    dir = await mkdtemp("/tmp/bf-");
    await chmod(dir, 0o755);
    tls = await selfSignedTls(dir, FUZZ_HOST);
    [port, httpsPort] = [await freePort(), await freePort()];
    const spare = await freePort();
    const high = (await bindable(65535)) ? [65535] : [];
    machineOdd.set("certificate PEM", [tls.certPem, `${tls.certPem}${tls.certPem}`]);
    machineOdd.set("key PEM", [tls.keyPem, tls.sec1KeyPem]);
    machineOdd.set("listen host", ["127.0.0.1", "0.0.0.0", "localhost", "[::1]", "[::]"]);
    machineOdd.set("listen port", [spare, ...high]);
    machineOdd.set("HTTPS port", [spare, ...high, ...((await bindable(443)) ? [443] : [])]);
    const long = `${dir}/${"d".repeat(95 - dir.length - 1)}`;
    expect(long).toHaveLength(95); // + "/status.sock" is the longest socket path nginx takes
    machineOdd.set("state dir", [`${dir}/a-b_c.d`, `${dir}/./x`, `${dir}//y`, `${dir}/.x`, `${dir}/-`, long]);
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it.each(FUZZ_FIELDS.map((f) => [f.name, f] as const))("%s", async (_, field: FuzzField) => {
    const odd = field.machine ? (machineOdd.get(field.name) ?? []) : field.odd;
    // Plus a few random values the renderer accepted (machine-bound fields only take their own).
    const rand = prng(11);
    const acceptedRandom = field.machine
      ? []
      : fieldCorpus(field).maybe.filter((v) => {
          const i = input();
          field.set(i, v);
          try {
            renderNginxConfig(i.table, i.settings);
            return !field.odd.includes(v);
          } catch {
            return false;
          }
        });
    const values = [...odd, ...shuffled(acceptedRandom, rand).slice(0, field.structured ? 16 : 4)];
    expect(values.length).toBeGreaterThan(0);
    const failures: string[] = [];
    for (const value of values) {
      const i = input();
      field.set(i, value);
      const problem = await nginxTest(i.table, i.settings);
      if (problem) failures.push(`${show(value)}: ${problem}`);
    }
    expect(failures).toEqual([]);
  });

  it("takes a big table of extremes at once", async () => {
    const rand = prng(5);
    const headerNames = ["X-Dept", "Include", "Default", "X-Forwarded-For", `A${"b-".repeat(31)}c`, "X--Y"];
    const backends: Backend[] = [];
    const sites: Site[] = [];
    for (let i = 0; i < 40; i++) {
      const id = `t${i}/prod/${"a".repeat(60)}-${i}`;
      const endpoints = (n: number) =>
        Array.from({ length: n }, (_, k) => ({
          address: `10.${i}.${k}.${(k * 7) % 256}`,
          port: 1 + ((i * 997 + k) % 65535),
        }));
      backends.push({
        id,
        stable: i % 7 === 3 ? null : { release: i + 1, endpoints: endpoints(i % 5) },
        canary:
          i % 2 === 0
            ? {
                pool: { release: Number.MAX_SAFE_INTEGER - i, endpoints: endpoints(1 + (i % 3)) },
                seed: `${"s".repeat(30)}${i}`.slice(-32),
                rules: {
                  headers: Array.from({ length: 16 }, (_, k) => ({
                    name: `${(headerNames[k % headerNames.length] as string).slice(0, 61)}${k}`,
                    value: ODD_TAGS[(i + k) % ODD_TAGS.length] as string,
                  })),
                  cookie:
                    i % 4 === 0
                      ? { name: `c${i}${"_".repeat(60)}`.slice(0, 64), value: ODD_TAGS[0] as string }
                      : null,
                  sourceCidrs: [
                    ...ODD_CIDRS,
                    ...Array.from({ length: 40 }, (_, k) => `172.${16 + (k % 16)}.${i}.0/24`),
                  ],
                  weight: (i * 7) % 101,
                },
              }
            : null,
      });
      sites.push({
        host: i === 0 ? LONG_HOST : `s${i}.${"h".repeat(50)}.example.com`,
        tls: i % 2 === 0 ? { certPem: tls.certPem, keyPem: i % 4 === 0 ? tls.keyPem : tls.sec1KeyPem } : null,
        locations: [
          ...(i % 3 === 0 ? [] : [{ path: "/", backend: id, redirectHttps: i % 4 === 0 }]),
          ...["/api", "/~user", "/a_b-c.d~e", `/${"p".repeat(255)}`, "/x/y/z"].map((p, k) => ({
            path: p,
            backend: backends[(i + k) % backends.length]?.id ?? id,
            redirectHttps: k % 2 === 0,
          })),
        ],
      });
    }
    const settings: RouterSettings = {
      listenHosts: ["127.0.0.1", "[::1]"],
      port,
      httpsPort,
      stateDir: `${dir}/big`,
      generation: Number.MAX_SAFE_INTEGER,
      trustedProxies: [...ODD_CIDRS, ...Array.from({ length: 50 }, (_, k) => `192.168.${k}.0/24`)],
    };
    const table: RouterTable = { backends: shuffled(backends, rand), sites: shuffled(sites, rand) };
    expect(await nginxTest(table, settings)).toBeNull();
    const conf = await readFile(`${dir}/big/nginx.conf`, "utf8");
    expect(conf.match(/split_clients/g)?.length).toBeGreaterThan(10);
    expect(conf).toContain("server_names_hash_bucket_size 512;");
  });
});

interface Reply {
  status: number;
  body: string;
  location?: string;
}

function get(
  lib: typeof http | typeof https,
  port: number,
  host: string,
  urlPath = "/",
  headers: Record<string, string> = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = lib.request(
      {
        host: "127.0.0.1",
        port,
        path: urlPath,
        headers: { ...headers, host },
        agent: false,
        servername: host,
        rejectUnauthorized: false,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          body += chunk;
        });
        res.on("end", () => {
          const location = res.headers.location;
          resolve({ status: res.statusCode ?? 0, body, ...(location ? { location } : {}) });
        });
      },
    );
    req.on("error", reject);
    req.end();
  });
}

function backend(name: string): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((_req, res) => res.end(name));
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve({ server, port: (server.address() as AddressInfo).port })),
  );
}

describe.skipIf(!existsSync(NGINX))("NginxRouter keeps the live config when a table is refused", () => {
  let stateDir: string;
  let port: number;
  let httpsPort: number;
  let tls: SiteTls;
  let a: { server: http.Server; port: number };
  let b: { server: http.Server; port: number };
  let router: NginxRouter;
  const logs: string[] = [];

  /** The fuzz base table, its pools pointed at the two local backends (A stable, B canary). */
  const input = (weight = 0): FuzzInput => {
    const i = fuzzBase(tls);
    const [web] = i.table.backends as [Backend];
    if (web.stable) web.stable.endpoints = [{ address: "127.0.0.1", port: a.port }];
    if (web.canary) {
      web.canary.pool.endpoints = [{ address: "127.0.0.1", port: b.port }];
      web.canary.rules.weight = weight;
    }
    Object.assign(i.settings, { stateDir, port, httpsPort });
    return i;
  };

  /** Everything a refused apply must leave alone: files, the served generation, the master, the answers. */
  async function live() {
    const tlsDir = path.join(stateDir, "tls");
    return {
      generation: router.generation,
      served: await fetchStatusGeneration(path.join(stateDir, "status.sock")),
      pid: router.masterPid,
      conf: await readFile(path.join(stateDir, "nginx.conf"), "utf8"),
      candidateLeft: existsSync(path.join(stateDir, "nginx.conf.tmp")),
      tlsFiles: (await readdir(tlsDir)).sort(),
      plain: await get(http, port, FUZZ_HOST),
      canaryByHeader: await get(http, port, FUZZ_HOST, "/", { "x-dept": "eng" }),
      redirect: await get(http, port, FUZZ_HOST, "/api/v1?q=1"),
      secure: await get(https, httpsPort, FUZZ_HOST, "/api"),
    };
  }

  beforeAll(async () => {
    stateDir = await mkdtemp("/tmp/bfr-");
    await chmod(stateDir, 0o755);
    tls = await selfSignedTls(stateDir, FUZZ_HOST);
    [port, httpsPort] = [await freePort(), await freePort()];
    [a, b] = await Promise.all([backend("A"), backend("B")]);
    router = new NginxRouter({
      stateDir,
      listenHosts: ["127.0.0.1"],
      port,
      httpsPort,
      trustedProxies: ["10.0.0.0/8"],
      log: (msg) => logs.push(msg),
    });
    await router.start(input().table);
  });

  afterAll(async () => {
    await router?.stop();
    await Promise.all([a, b].map((s) => s && new Promise((resolve) => s.server.close(resolve))));
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  it("serves the fuzz base table: stable, canary by header, a 308 to HTTPS and TLS", async () => {
    const now = await live();
    expect(now.served).toBe(router.generation);
    expect(now.plain).toEqual({ status: 200, body: "A" });
    expect(now.canaryByHeader).toEqual({ status: 200, body: "B" });
    expect(now.redirect).toMatchObject({
      status: 308,
      location: `https://${FUZZ_HOST}:${httpsPort}/api/v1?q=1`,
    });
    expect(now.secure).toEqual({ status: 200, body: "A" });
    expect(now.tlsFiles).toEqual([tlsFileName(tls)]);
  });

  it("refuses every hostile value of every table field before nginx sees it", async () => {
    const before = await live();
    const reloadsBefore = logs.filter((m) => m.includes(" live in ")).length;
    let refused = 0;
    for (const field of FUZZ_FIELDS.filter((f) => f.target === "table")) {
      for (const value of fieldCorpus(field, 0).mustRefuse) {
        const i = input();
        field.set(i, value);
        await expect(router.apply(i.table), `${field.name} ${show(value)}`).rejects.toThrow(
          /^router: refusing to render invalid /,
        );
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(2000);
    expect(await live()).toEqual(before);
    expect(logs.filter((m) => m.includes(" live in ")).length).toBe(reloadsBefore);
  });

  it("refuses hostile settings when the router is made, leaving the running one alone", async () => {
    const before = await live();
    let refused = 0;
    for (const field of FUZZ_FIELDS.filter((f) => f.target === "settings" && f.name !== "generation")) {
      // The router resolves its state dir as a path first, so only strings make sense there.
      const values = fieldCorpus(field, 0).mustRefuse.filter(
        (v) => field.name !== "state dir" || typeof v === "string",
      );
      for (const value of values) {
        const { settings } = input();
        field.set({ table: input().table, settings }, value);
        expect(
          () => new NginxRouter({ ...settings, log: (msg) => logs.push(msg) }),
          `${field.name} ${show(value)}`,
        ).toThrow(/^router: refusing to render invalid /);
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(500);
    expect(await live()).toEqual(before);
  });

  it("keeps the live config when nginx -t rejects a rendered table (a PEM that is no certificate)", async () => {
    const before = await live();
    const i = input(100);
    (i.table.sites[0] as Site).tls = FAKE_TLS;
    const failure = router.apply(i.table);
    await expect(failure).rejects.toThrow(/^nginx -t rejected generation \d+; the live config is unchanged/);
    await expect(failure).rejects.toThrow(tlsFileName(FAKE_TLS));
    const after = await live();
    // The candidate's certificate file was written before nginx -t; the live one is still there.
    expect(after.tlsFiles).toEqual([tlsFileName(FAKE_TLS), tlsFileName(tls)].sort());
    expect({ ...after, tlsFiles: before.tlsFiles }).toEqual(before);
  });

  it("still applies a good table afterwards, and prunes unused certificate files", async () => {
    const before = router.generation ?? 0;
    await router.apply(input(100).table);
    expect(router.generation).toBeGreaterThan(before);
    const now = await live();
    expect(now.served).toBe(router.generation);
    expect(now.plain).toEqual({ status: 200, body: "B" });
    expect(now.secure).toEqual({ status: 200, body: "B" });
    expect(now.tlsFiles).toEqual([tlsFileName(tls)]);
  });
});
