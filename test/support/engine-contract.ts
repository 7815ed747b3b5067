import { Readable } from "node:stream";
import tar from "tar-stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DomainError } from "../../src/domain/domain-error.js";
import type { WorkloadIdentity } from "../../src/domain/labels.js";
import type { Engine, EngineEvent, Workload, WorkloadSpec } from "../../src/engines/engine.js";

/**
 * What every engine must do, asserted through the Engine interface alone: the same suite runs
 * against the local DockerEngine and the SwarmEngine (test/integration/engine-contract.test.ts).
 */
export interface ContractSubject {
  name: string;
  engine: () => Engine;
  /** Seconds a started workload may take to run (a cluster pulls and places first). */
  startSeconds: number;
  cleanup: (tenant: string) => Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function eventually<T>(what: string, seconds: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`${what} did not happen within ${seconds}s (${String(last ?? "")})`);
    await sleep(200);
  }
}

async function text(stream: Readable, until?: string): Promise<string> {
  let out = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stream.destroy();
      reject(new Error(`timed out reading logs; got ${JSON.stringify(out)}`));
    }, 8000);
    const done = () => {
      clearTimeout(timer);
      stream.destroy();
      resolve(out);
    };
    stream.on("data", (c: Buffer | string) => {
      out += c.toString();
      if (until !== undefined && out.includes(until)) done();
    });
    stream.once("end", done);
    stream.once("error", reject);
  });
}

export function engineContract(subject: ContractSubject): void {
  describe(`Engine contract: ${subject.name}`, () => {
    const tenant = `c${Date.now().toString(36)}${subject.name.slice(0, 2)}`;
    const identity: WorkloadIdentity = { tenant, env: "prod", app: "web" };
    const network = `berth.${tenant}.prod`;
    const INDEX = `hello from ${tenant}`;
    let engine: Engine;
    let imageId = "";
    let spec: WorkloadSpec;
    let workload: Workload;

    const url = (w: Workload, path: string) => `http://${w.address}:${w.publishedPort ?? spec.port}${path}`;
    const running = () =>
      eventually("the workload running", subject.startSeconds, async () => {
        const [w] = await engine.list(identity);
        return w?.state === "running" && w.address ? w : undefined;
      });

    beforeAll(async () => {
      engine = subject.engine();
      await engine.ping();
    });
    afterAll(async () => {
      await subject.cleanup(tenant);
    });

    it("ensureNetwork is idempotent and listNetworks reports it", async () => {
      await engine.ensureNetwork(network, { "berth.tenant": tenant });
      await engine.ensureNetwork(network, { "berth.tenant": tenant });
      expect((await engine.listNetworks()).filter((n) => n === network)).toHaveLength(1);
    });

    it("inspects images by exact name, and builds one", async () => {
      expect((await engine.inspectImage("berth/busybox:latest"))?.id).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(await engine.inspectImage("nope/does-not-exist:1")).toBeNull();
      const pack = tar.pack();
      pack.entry(
        { name: "Dockerfile" },
        [
          "FROM berth/busybox:latest",
          `RUN mkdir -p /www && echo '${INDEX}' > /www/index.html`,
          "EXPOSE 8080",
          'CMD ["sh", "-c", "echo booted; echo \\"$GREETING\\" > /www/greeting.txt; exec httpd -f -p 8080 -h /www"]',
        ].join("\n"),
      );
      pack.finalize();
      const lines: string[] = [];
      const image = await engine.build(
        Readable.from(pack, { objectMode: false }),
        { tag: `berth-test/${tenant}:1`, labels: { "berth.tenant": tenant } },
        (l) => lines.push(l),
      );
      imageId = image.id;
      expect(image.exposedPorts).toEqual([8080]);
      expect(lines.length).toBeGreaterThan(0);
    });

    it("starts a workload that runs, answers at its address with its env and files", async () => {
      spec = {
        identity,
        release: 1,
        slot: 0,
        image: imageId,
        port: 8080,
        network,
        env: { GREETING: "hi there" },
        files: [{ path: "/www/file.txt", content: "a mounted file\n" }],
        replicas: 1,
      };
      const started = await engine.start(spec);
      expect(started.identity).toEqual(identity);
      expect(started.slot).toBe(0);
      workload = await running();
      expect((await (await fetch(url(workload, "/"))).text()).trim()).toBe(INDEX);
      expect((await (await fetch(url(workload, "/greeting.txt"))).text()).trim()).toBe("hi there");
      expect(await (await fetch(url(workload, "/file.txt"))).text()).toBe("a mounted file\n");
    });

    it("refuses a second start of the same release and slot with conflict", async () => {
      const error = await engine.start(spec).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(DomainError);
      expect((error as DomainError).code).toBe("conflict");
    });

    it("lists the workload by selector with its identity, release, slot and network", async () => {
      const listed = await engine.list({ tenant, env: "prod", app: "web" });
      expect(listed).toHaveLength(1);
      expect(listed[0]).toMatchObject({ id: workload.id, identity, release: 1, slot: 0, state: "running" });
      expect(listed[0]?.networks).toContain(network);
      expect(Date.parse(listed[0]?.createdAt ?? "")).toBeGreaterThan(Date.now() - 5 * 60_000);
      expect(await engine.list({ tenant, app: "other" })).toEqual([]);
    });

    it("returns demultiplexed logs, with and without follow", async () => {
      const once = await eventually("logs", 10, async () => {
        const t = await text(await engine.logs(workload.id, { follow: false, tail: 100 }));
        return t.includes("booted") ? t : undefined;
      });
      expect(once).toBe("booted\n");
      expect(await text(await engine.logs(workload.id, { follow: true, tail: 100 }), "booted")).toBe(
        "booted\n",
      );
    });

    it("refuses to remove a network that still has workloads", async () => {
      const error = await engine.removeNetwork(network).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((error as DomainError).code).toBe("conflict");
      expect(await engine.listNetworks()).toContain(network);
    });

    it("treats removing an unknown workload as a no-op", async () => {
      await expect(engine.remove("0123456789abcdef0123456789", 1)).resolves.toBeUndefined();
    });

    it("removes a workload and reports it through watch", async () => {
      const events: EngineEvent[] = [];
      const watcher = engine.watch(
        (e) => events.push(e),
        () => undefined,
      );
      try {
        await sleep(1500);
        await engine.remove(workload.id, 1);
        await eventually("the removal reported", 10, async () =>
          events.some((e) => e.identity.tenant === tenant && e.action === "destroy") ? true : undefined,
        );
        expect(
          events.filter((e) => e.identity.tenant === tenant).every((e) => e.identity.app === "web"),
        ).toBe(true);
      } finally {
        watcher.close();
      }
      await eventually("nothing listed", 20, async () =>
        (await engine.list({ tenant })).length === 0 ? true : undefined,
      );
      await expect(engine.remove(workload.id, 1)).resolves.toBeUndefined();
    });

    it("removes the network once empty, and is a no-op afterwards", async () => {
      await eventually("the network removed", 20, async () => {
        await engine.removeNetwork(network);
        return true;
      });
      expect(await engine.listNetworks()).not.toContain(network);
      await expect(engine.removeNetwork(network)).resolves.toBeUndefined();
    });
  });
}
