import { existsSync } from "node:fs";
import { chmod, mkdtemp, readFile, rm } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchStatusGeneration } from "../../src/router/fetch-status-generation.js";
import { NginxRouter } from "../../src/router/nginx-router.js";
import type { RouterTable } from "../../src/router/route.js";
import { tableOf } from "../support/router-table.js";

const HOST = "app.dev.acme.localhost";

interface Reply {
  status: number;
  body: string;
}

/** One request through the router with an explicit Host header, on a fresh connection. */
function request(
  port: number,
  host: string,
  body?: Buffer,
  headers: Record<string, string> = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port,
        path: "/",
        method: body ? "POST" : "GET",
        headers: { ...headers, host },
        agent: false,
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

function backend(name: string): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((req, res) => {
    let bytes = 0;
    req.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
    });
    req.on("end", () => res.end(req.method === "POST" ? `${name}:${bytes}` : name));
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve({ server, port: (server.address() as AddressInfo).port })),
  );
}

function freePort(): Promise<number> {
  const server = net.createServer();
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    }),
  );
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

describe.skipIf(!existsSync("/usr/sbin/nginx"))("NginxRouter with a real nginx", () => {
  let stateDir: string;
  let port: number;
  let httpsPort: number;
  let a: { server: http.Server; port: number };
  let b: { server: http.Server; port: number };
  let router: NginxRouter;
  const applyMs: number[] = [];
  const logs: string[] = [];

  const to = (...backends: { port: number }[]): RouterTable =>
    tableOf([{ host: HOST, endpoints: backends.map((s) => ({ address: "127.0.0.1", port: s.port })) }]);
  const timedApply = async (r: NginxRouter, table: RouterTable) => {
    const t0 = performance.now();
    await r.apply(table);
    applyMs.push(performance.now() - t0);
  };
  const newRouter = (listenHost = "127.0.0.1") =>
    new NginxRouter({ stateDir, listenHosts: [listenHost], port, httpsPort, log: (msg) => logs.push(msg) });

  beforeAll(async () => {
    stateDir = await mkdtemp(path.join(os.tmpdir(), "berth-router-"));
    // nginx workers run as "nobody" when Berth runs as root; they must reach the temp dirs.
    await chmod(stateDir, 0o755);
    port = await freePort();
    httpsPort = await freePort();
    [a, b] = await Promise.all([backend("A"), backend("B")]);
    router = newRouter();
  });

  afterAll(async () => {
    await router?.stop();
    await Promise.all([a, b].map((s) => s && new Promise((resolve) => s.server.close(resolve))));
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
    console.log(
      `apply (render + nginx -t + swap + SIGHUP + confirmed): median ${median(applyMs).toFixed(1)} ms, ` +
        `min ${Math.min(...applyMs).toFixed(1)} ms, max ${Math.max(...applyMs).toFixed(1)} ms over ${applyMs.length}`,
    );
  });

  it("starts nginx and routes by Host", async () => {
    await router.start(to(a));
    expect(router.isRunning()).toBe(true);
    expect(logs.filter((m) => m.includes("warning"))).toEqual([]);
    expect(await request(port, HOST)).toEqual({ status: 200, body: "A" });
    expect(await request(port, "nobody.dev.acme.localhost")).toEqual({
      status: 404,
      body: "no app is routed at this host\n",
    });
    expect(await fetchStatusGeneration(path.join(stateDir, "status.sock"))).toBe(router.generation);
  });

  it("re-routes on apply", async () => {
    await timedApply(router, to(b));
    expect(await request(port, HOST)).toEqual({ status: 200, body: "B" });
    await timedApply(router, to(a));
    expect(await request(port, HOST)).toEqual({ status: 200, body: "A" });
    expect(await readFile(path.join(stateDir, "nginx.conf.prev"), "utf8")).toContain(`:${b.port} `);
  });

  it("answers 503 for a route without endpoints", async () => {
    await timedApply(router, to());
    expect(await request(port, HOST)).toEqual({
      status: 503,
      body: "no healthy instance of this app is running\n",
    });
    await timedApply(router, to(a));
  });

  it("routes long DNS names (needs a bigger server_names hash bucket)", async () => {
    const label = "x".repeat(63);
    const long = `${label}.${label}.${label}.localhost`;
    await timedApply(
      router,
      tableOf([
        { host: HOST, endpoints: [{ address: "127.0.0.1", port: a.port }] },
        { host: long, endpoints: [{ address: "127.0.0.1", port: b.port }] },
      ]),
    );
    expect(await request(port, HOST)).toEqual({ status: 200, body: "A" });
    expect(await request(port, long)).toEqual({ status: 200, body: "B" });
    await timedApply(router, to(a));
  });

  it("buffers large request bodies through its temp dirs", async () => {
    expect(await request(port, HOST, Buffer.alloc(300_000, 1))).toEqual({ status: 200, body: "A:300000" });
  });

  it("routes a canary by header, cookie and weight, matching values exactly and case-sensitively", async () => {
    const longest = `V${"x".repeat(126)}.`; // the longest tag value the API allows
    const canary = (weight: number): RouterTable => ({
      backends: [
        {
          id: "t/e/0",
          stable: { release: 1, endpoints: [{ address: "127.0.0.1", port: a.port }] },
          canary: {
            pool: { release: 2, endpoints: [{ address: "127.0.0.1", port: b.port }] },
            seed: "c1",
            rules: {
              headers: [
                { name: "X-Dept", value: "Eng.1" },
                { name: "X-Long", value: longest },
              ],
              cookie: { name: "canary", value: "On" },
              sourceCidrs: [],
              weight,
            },
          },
        },
      ],
      sites: to(a).sites,
    });
    const via = async (headers: Record<string, string>) =>
      (await request(port, HOST, undefined, headers)).body;
    await timedApply(router, canary(0));
    expect(await via({})).toBe("A");
    expect(await via({ "x-dept": "Eng.1" })).toBe("B");
    for (const near of ["eng.1", "ENG.1", "Eng-1", "Eng.12", " Eng.1x", "Eng"]) {
      expect(await via({ "x-dept": near }), near).toBe("A");
    }
    expect(await via({ "x-long": longest })).toBe("B");
    expect(await via({ "x-long": longest.toLowerCase() })).toBe("A");
    expect(await via({ cookie: "canary=On" })).toBe("B");
    expect(await via({ cookie: "a=1; canary=On" })).toBe("B");
    expect(await via({ cookie: "canary=on" })).toBe("A");

    // A client keeps its side of a weight split: the side is a hash of its seed cookie.
    await timedApply(router, canary(50));
    const sides = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const first = await via({ cookie: `berth_seed=s${i}` });
      expect(await via({ cookie: `berth_seed=s${i}` })).toBe(first);
      sides.add(first);
    }
    expect([...sides].sort()).toEqual(["A", "B"]);

    await timedApply(router, canary(100));
    expect(await via({})).toBe("B");
    await timedApply(router, to(a));
    expect(await via({ "x-dept": "Eng.1" })).toBe("A");
  });

  it("does not reload when the config is unchanged", async () => {
    const before = router.generation;
    const conf = await readFile(path.join(stateDir, "nginx.conf"), "utf8");
    await router.apply(to(a));
    expect(router.generation).toBe(before);
    expect(await readFile(path.join(stateDir, "nginx.conf"), "utf8")).toBe(conf);
    expect(await fetchStatusGeneration(path.join(stateDir, "status.sock"))).toBe(before);
  });

  it("keeps the live config when nginx -t rejects the candidate", async () => {
    const conf = await readFile(path.join(stateDir, "nginx.conf"), "utf8");
    // 192.0.2.1 (TEST-NET-1) is not an address of this machine: nginx -t fails to bind it.
    const misconfigured = newRouter("192.0.2.1");
    const failure = misconfigured.start(to(b));
    await expect(failure).rejects.toThrow(/nginx -t rejected generation \d+/);
    await expect(failure).rejects.toThrow("bind() to 192.0.2.1");
    expect(await readFile(path.join(stateDir, "nginx.conf"), "utf8")).toBe(conf);
    expect(existsSync(path.join(stateDir, "nginx.conf.tmp"))).toBe(false);
    expect(await request(port, HOST)).toEqual({ status: 200, body: "A" });
    expect(await fetchStatusGeneration(path.join(stateDir, "status.sock"))).toBe(router.generation);
  });

  it("serializes concurrent applies; the last one wins", async () => {
    await Promise.all([router.apply(to(b)), router.apply(to()), router.apply(to(a))]);
    expect(await request(port, HOST)).toEqual({ status: 200, body: "A" });
  });

  it("loses no request while reloading", async () => {
    let sent = 0;
    const failures: string[] = [];
    const seen = new Set<string>();
    const traffic = (async () => {
      for (; sent < 300; sent++) {
        try {
          const reply = await request(port, HOST);
          seen.add(reply.body);
          if (reply.status !== 200) failures.push(`${reply.status} ${reply.body}`);
        } catch (err) {
          failures.push(String(err));
        }
      }
    })();
    const reloads = (async () => {
      for (let i = 1; i <= 5; i++) {
        while (sent < i * 50) await new Promise((resolve) => setTimeout(resolve, 1));
        await timedApply(router, i % 2 === 1 ? to(a, b) : to(a));
      }
    })();
    await Promise.all([traffic, reloads]);
    expect(failures).toEqual([]);
    expect([...seen].sort()).toEqual(["A", "B"]);
  });

  it("lets a second router on the same state dir adopt the running master", async () => {
    const pid = router.masterPid;
    const generation = router.generation;
    const second = newRouter();
    await second.start(to(a, b));
    expect(second.masterPid).toBe(pid);
    expect(second.generation).toBe(generation);
    expect(logs.some((m) => m.includes(`adopting running nginx master ${pid}`))).toBe(true);
    await timedApply(second, to(b));
    expect(second.masterPid).toBe(pid);
    expect(await request(port, HOST)).toEqual({ status: 200, body: "B" });
  });

  it("stops gracefully and starts again", async () => {
    const pid = router.masterPid;
    const generation = router.generation ?? 0;
    await router.stop();
    expect(router.isRunning()).toBe(false);
    expect(existsSync(`/proc/${pid}/cmdline`) && router.masterPid === pid).toBe(false);
    await expect(request(port, HOST)).rejects.toThrow(/ECONNREFUSED/);
    await router.start(to(a));
    expect(router.masterPid).not.toBe(pid);
    expect(router.generation).toBeGreaterThan(generation);
    expect(await request(port, HOST)).toEqual({ status: 200, body: "A" });
  });
});
