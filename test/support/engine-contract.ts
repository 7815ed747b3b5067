import { Readable } from "node:stream";
import tar from "tar-stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DomainError } from "../../src/domain/domain-error.js";
import type { WorkloadIdentity } from "../../src/domain/labels.js";
import type { Engine, EngineEvent, JobSpec, ReleaseSpec, Workload } from "../../src/engines/engine.js";

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
  /** Whether listVolumes reports bytes used (a cluster's managers cannot see a node's disk). */
  measuresVolumes: boolean;
  /** A cluster places volumes on a node, which listVolumes names. */
  cluster: boolean;
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
    const env = { tenant, env: "prod" };
    const INDEX = `hello from ${tenant}`;
    const link = Number(Date.now() % 1_000_000) + 1_000;
    let engine: Engine;
    let imageId = "";
    let spec: ReleaseSpec;

    const url = (w: Workload, path: string) => `http://${w.address}:${w.publishedPort ?? spec.port}${path}`;
    const ofRelease = async (release: number) =>
      (await engine.listWorkloads(identity)).filter((w) => w.release === release);
    /** The release's replicas once exactly `n` run and are reachable. */
    const running = (release: number, n: number, also: (ws: Workload[]) => boolean = () => true) =>
      eventually(`${n} replica(s) of release ${release} running`, subject.startSeconds, async () => {
        const ws = await ofRelease(release);
        return ws.length === n && ws.every((w) => w.state === "running" && w.address) && also(ws)
          ? ws
          : undefined;
      });
    const jobEnded = (id: string) =>
      eventually("the job ended", subject.startSeconds + 20, async () => {
        const j = await engine.job(id);
        return j && (j.state === "succeeded" || j.state === "failed") ? j : undefined;
      });
    const job = (name: string, command: string[], overrides: Partial<JobSpec> = {}): JobSpec => ({
      identity,
      name,
      image: imageId,
      command,
      env: {},
      files: [],
      cpus: null,
      memoryMb: null,
      volumes: [],
      timeoutSeconds: 300,
      ...overrides,
    });

    beforeAll(async () => {
      engine = subject.engine();
      await engine.ping();
    });
    afterAll(async () => {
      await subject.cleanup(tenant);
    });

    it("ensureEnvironment and ensureLink are idempotent and listNetworks reports them", async () => {
      await engine.ensureEnvironment(env);
      await engine.ensureEnvironment(env);
      await engine.ensureLink(link);
      await engine.ensureLink(link);
      const held = await engine.listNetworks();
      expect(held.environments.filter((e) => e.tenant === tenant)).toEqual([env]);
      expect(held.links.filter((l) => l === link)).toEqual([link]);
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

    it("applies a release of two replicas that run and answer with their env and files", async () => {
      spec = {
        identity,
        release: 1,
        replicas: 2,
        image: imageId,
        port: 8080,
        env: { GREETING: "hi there" },
        files: [{ path: "/www/file.txt", content: "a mounted file\n" }],
        cpus: null,
        memoryMb: null,
        restart: "unless-stopped",
        command: null,
        volumes: [],
        links: [],
      };
      await engine.applyRelease(spec);
      const ws = await running(1, 2);
      expect(new Set(ws.map((w) => w.slot))).toEqual(new Set([0, 1]));
      for (const w of ws) {
        expect(w).toMatchObject({ identity, release: 1, links: [] });
        expect([true, false, null]).toContain(w.ready);
        expect((await (await fetch(url(w, "/"))).text()).trim()).toBe(INDEX);
        expect((await (await fetch(url(w, "/greeting.txt"))).text()).trim()).toBe("hi there");
        expect(await (await fetch(url(w, "/file.txt"))).text()).toBe("a mounted file\n");
      }
    });

    it("is idempotent: applying the same release again changes nothing", async () => {
      const before = (await ofRelease(1)).map((w) => w.id).sort();
      await engine.applyRelease(spec);
      await sleep(2000);
      expect((await ofRelease(1)).map((w) => w.id).sort()).toEqual(before);
    });

    it("lists by selector with identity, release and a 0-based slot", async () => {
      const listed = await engine.listWorkloads({ tenant, env: "prod", app: "web" });
      expect(listed).toHaveLength(2);
      for (const w of listed) expect(Date.parse(w.createdAt)).toBeGreaterThan(Date.now() - 10 * 60_000);
      expect(await engine.listWorkloads({ tenant, app: "other" })).toEqual([]);
    });

    it("scales a release up and down", async () => {
      await engine.applyRelease({ ...spec, replicas: 3 });
      await running(1, 3);
      await engine.applyRelease({ ...spec, replicas: 1 });
      await running(1, 1);
      spec = { ...spec, replicas: 1 };
    });

    it("attaches a release's replicas to a link, and detaches them", async () => {
      await engine.applyRelease({ ...spec, links: [{ link, aliases: ["web.prod.contract"] }] });
      await running(1, 1, (ws) => ws.every((w) => w.links.includes(link)));
      await engine.applyRelease(spec);
      await running(1, 1, (ws) => ws.every((w) => w.links.length === 0));
    });

    it("returns demultiplexed logs, with and without follow", async () => {
      const [w] = await running(1, 1);
      const id = (w as Workload).id;
      const once = await eventually("logs", 10, async () => {
        const t = await text(await engine.logs(id, { follow: false, tail: 100 }));
        return t.includes("booted") ? t : undefined;
      });
      expect(once).toBe("booted\n");
      expect(await text(await engine.logs(id, { follow: true, tail: 100 }), "booted")).toBe("booted\n");
    });

    it("refuses to remove an environment or link still in use", async () => {
      const error = await engine.removeEnvironment(env).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((error as DomainError).code).toBe("conflict");
      expect((await engine.listNetworks()).environments).toContainEqual(env);
    });

    it("stop-first: the old release is gone before a replica of the new one runs", async () => {
      const samples: Workload[][] = [];
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          samples.push(await engine.listWorkloads(identity).catch(() => []));
          await sleep(100);
        }
      })();
      await engine.applyRelease({ ...spec, release: 2, strategy: "stop-first" });
      await running(2, 1);
      sampling = false;
      await sampler;
      expect(await ofRelease(1)).toEqual([]);
      const overlap = samples.filter(
        (ws) =>
          ws.some((w) => w.release === 1 && w.state === "running") &&
          ws.some((w) => w.release === 2 && w.state === "running"),
      );
      expect(overlap).toEqual([]);
      expect(samples.some((ws) => ws.some((w) => w.release === 1))).toBe(true);
    });

    it("runs a job to completion: exit code and logs; jobs are not a release's replicas", async () => {
      const started = await engine.runJob(job("fails", ["sh", "-c", "echo from the job; exit 3"]));
      expect(started).toMatchObject({ name: "fails", identity });
      const ended = await jobEnded(started.id);
      expect(ended).toMatchObject({ state: "failed", exitCode: 3, timedOut: false });
      expect(await text(await engine.jobLogs(started.id, { follow: false, tail: 100 }))).toContain(
        "from the job",
      );
      const ok = await jobEnded((await engine.runJob(job("works", ["sh", "-c", "echo fine"]))).id);
      expect(ok).toMatchObject({ state: "succeeded", exitCode: 0 });
      expect((await engine.listJobs(identity)).map((j) => j.name)).toEqual(["fails", "works"]);
      expect((await engine.listWorkloads(identity)).every((w) => w.release === 2)).toBe(true);
      const again = await engine.runJob(job("works", ["true"])).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((again as DomainError).code).toBe("conflict");
    });

    it("stops a job at its deadline, and cancels one", async () => {
      const slow = await engine.runJob(job("slow", ["sleep", "600"], { timeoutSeconds: 3 }));
      const ended = await jobEnded(slow.id);
      expect(ended).toMatchObject({ state: "failed", timedOut: true });
      const long = await engine.runJob(job("long", ["sleep", "600"]));
      await eventually("the job running", subject.startSeconds, async () =>
        (await engine.job(long.id))?.state === "running" ? true : undefined,
      );
      await engine.cancelJob(long.id, 1);
      expect(await engine.job(long.id)).toBeNull();
      await expect(engine.cancelJob(long.id, 1)).resolves.toBeUndefined();
      for (const j of await engine.listJobs(identity)) await engine.cancelJob(j.id, 0);
      expect(await engine.listJobs(identity)).toEqual([]);
    });

    it("keeps a named volume's data across jobs, lists it with its placement, and removes it", async () => {
      const made = await engine.createVolume({ tenant, env: "prod", name: "data" });
      expect(made).toMatchObject({ tenant, env: "prod", name: "data" });
      expect(await engine.createVolume({ tenant, env: "prod", name: "data" })).toEqual(made);
      const volumes = [{ name: "data", path: "/data" }];
      const write = await engine.runJob(
        job("write", ["sh", "-c", "head -c 100000 /dev/zero > /data/blob && echo written"], { volumes }),
      );
      expect(await jobEnded(write.id)).toMatchObject({ state: "succeeded" });
      const read = await engine.runJob(job("read", ["sh", "-c", "wc -c < /data/blob"], { volumes }));
      expect(await jobEnded(read.id)).toMatchObject({ state: "succeeded" });
      expect((await text(await engine.jobLogs(read.id, { follow: false, tail: 10 }))).trim()).toBe("100000");
      const [listed] = (await engine.listVolumes({ tenant })).filter((v) => v.name === "data");
      expect(listed?.node).toBe(made.node);
      if (subject.measuresVolumes) expect(listed?.sizeBytes).toBeGreaterThanOrEqual(100_000);
      else expect(listed?.sizeBytes).toBeNull();
      if (subject.cluster) expect(typeof listed?.node).toBe("string");
      const inUse = await engine.removeVolume({ tenant, env: "prod", name: "data" }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((inUse as DomainError).code).toBe("conflict");
      await engine.cancelJob(write.id, 0);
      await engine.cancelJob(read.id, 0);
      await eventually("the volume removed", 30, async () => {
        await engine.removeVolume({ tenant, env: "prod", name: "data" });
        return true;
      });
      expect((await engine.listVolumes({ tenant })).map((v) => v.name)).not.toContain("data");
    });

    it("retires a release and reports it through watch", async () => {
      const events: EngineEvent[] = [];
      const watcher = engine.watch(
        (e) => events.push(e),
        () => undefined,
      );
      try {
        await sleep(1500);
        await engine.retireRelease(identity, 2, 1);
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
        (await engine.listWorkloads({ tenant })).length === 0 ? true : undefined,
      );
      await expect(engine.retireRelease(identity, 2, 1)).resolves.toBeUndefined();
    });

    it("removes the environment and link once empty, and is a no-op afterwards", async () => {
      await eventually("the environment removed", 30, async () => {
        await engine.removeEnvironment(env);
        await engine.removeLink(link);
        return true;
      });
      const held = await engine.listNetworks();
      expect(held.environments).not.toContainEqual(env);
      expect(held.links).not.toContain(link);
      await expect(engine.removeEnvironment(env)).resolves.toBeUndefined();
      await expect(engine.removeLink(link)).resolves.toBeUndefined();
    });
  });
}
