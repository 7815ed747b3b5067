/**
 * Berth on Docker Swarm (the project's 4-node testbed, scripts/testbed), side by side in one run:
 *  - placement: 100 replicas deployed through Berth's API until Swarm runs all 100 tasks, against
 *    `docker service create` of the very same service spec (image, host-mode port, dnsrr,
 *    placement) straight on the manager; rounds interleaved. Berth's time until the release is
 *    serving (every replica health-checked and routed) is printed too.
 *  - recovery: a node holding replicas is stopped under steady traffic through the router; the
 *    time until 20 requests in a row are answered, and until Swarm runs every replica again.
 * Prints median and p95 of each and the placement ratio (goal: at most 1.1).
 */
import { performance } from "node:perf_hooks";
import { busyboxApp } from "../test/support/app-fixture.js";
import { BerthProcess } from "../test/support/berth-process.js";
import { getViaRouter } from "../test/support/http-via-router.js";
import {
  ensureTestbed,
  managerSocket,
  nodeDocker,
  removeServicesOf,
  testbed,
} from "../test/support/testbed.js";
import { fmt, median, percentile } from "./stats.js";

const ROUNDS = Number(process.env.RUNS ?? 5);
const REPLICAS = 100;
const NODES = ["tb1", "tb2", "tb3", "tb4"];
const manager = nodeDocker("tb1");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function runningTasks(serviceIds: () => Promise<string[]>): Promise<number> {
  const ids = new Set(await serviceIds());
  const tasks = await manager.listTasks({ filters: { "desired-state": ["running"] } });
  return tasks.filter((t) => ids.has(t.ServiceID ?? "") && t.Status?.State === "running").length;
}

async function waitFor(what: string, seconds: number, done: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${seconds}s`);
    await sleep(50);
  }
}

/**
 * Until no node has a container of a bench service left, stopped or not: a round must not pay for
 * the previous one's teardown (100 containers stopping), whichever side made them. `keep`: the
 * warm-up service, which stays.
 */
async function quiet(keep: string): Promise<void> {
  await waitFor("the testbed to be quiet", 300, async () => {
    for (const n of NODES) {
      const left = await nodeDocker(n).listContainers({
        all: true,
        filters: { label: ["com.docker.swarm.service.id"] },
      });
      if (left.some((c) => c.Labels["com.docker.swarm.service.id"] !== keep)) return false;
    }
    return true;
  });
}

const servicesOf = (app: string) => async () =>
  (await manager.listServices({ filters: { label: [`berth.app=${app}`] } })).map((s) => s.ID);

async function main() {
  await ensureTestbed();
  for (const n of NODES) testbed("start-node", n);
  const berth = await BerthProcess.start({ registry: "10.201.0.1:5003", drainMs: 300 });
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${berth.url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${berth.token}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.status === 204 ? undefined : res.json();
  };
  try {
    await berth.ok(["cluster", "add", "tb", "--docker-host", `unix://${managerSocket("tb1")}`]);
    await berth.ok(["tenant", "create", "acme"]);
    await berth.ok(["env", "create", "prod", "--tenant", "acme", "--cluster", "tb"]);
    await berth.ok(["app", "create", "warm", "--tenant", "acme"]);
    // Builds the image and pushes it to the registry once; every round then runs that image.
    await berth.ok([
      "deploy",
      "warm",
      "--tenant",
      "acme",
      "--env",
      "prod",
      "--path",
      busyboxApp("bench"),
      "--health-path",
      "/healthz",
    ]);
    const [warm] = await manager.listServices({ filters: { label: ["berth.app=warm"] } });
    const template = warm?.Spec as Record<string, unknown> & {
      TaskTemplate: { ContainerSpec: { Image: string } };
    };
    const release = (await api("GET", "/tenants/acme/envs/prod/apps/warm/releases")) as { imageId: string }[];
    const imageId = release[0]?.imageId as string;

    const berthMs: number[] = [];
    const servingMs: number[] = [];
    const directMs: number[] = [];
    const viaBerth = async (round: number) => {
      const app = `p${round}`;
      await berth.ok(["app", "create", app, "--tenant", "acme"]);
      await quiet(warm?.ID as string);
      const t0 = performance.now();
      await api("POST", `/tenants/acme/envs/prod/apps/${app}/deploy`, {
        image: imageId,
        replicas: REPLICAS,
        healthPath: "/healthz",
        healthTimeout: 600,
      });
      await waitFor(
        "100 Berth tasks running",
        600,
        async () => (await runningTasks(servicesOf(app))) === REPLICAS,
      );
      berthMs.push(performance.now() - t0);
      await waitFor("serving", 600, async () => {
        const info = (await api("GET", `/tenants/acme/apps/${app}`)) as { deployments: { phase: string }[] };
        return info.deployments[0]?.phase === "serving";
      });
      servingMs.push(performance.now() - t0);
      await berth.ok(["app", "delete", app, "--tenant", "acme"]);
      await waitFor("Berth's tasks gone", 600, async () => (await servicesOf(app)()).length === 0);
    };
    const direct = async (round: number) => {
      await quiet(warm?.ID as string);
      const t1 = performance.now();
      const created = (await manager.createService({
        ...template,
        Name: `direct-${round}`,
        Labels: { bench: "direct" },
        Mode: { Replicated: { Replicas: REPLICAS } },
      } as never)) as { id?: string; ID?: string };
      const id = (created.id ?? created.ID) as string;
      await waitFor(
        "100 direct tasks running",
        600,
        async () => (await runningTasks(async () => [id])) === REPLICAS,
      );
      directMs.push(performance.now() - t1);
      await manager.getService(id).remove();
    };
    for (let round = 0; round < ROUNDS; round++) {
      // Alternating which side goes first cancels any drift over the run.
      if (round % 2 === 0) {
        await viaBerth(round);
        await direct(round);
      } else {
        await direct(round);
        await viaBerth(round);
      }
      console.log(
        `round ${round + 1}: Berth ${fmt(berthMs[round] as number)} (serving ${fmt(servingMs[round] as number)}), docker service create ${fmt(directMs[round] as number)}`,
      );
    }
    await quiet(warm?.ID as string);
    const row = (label: string, xs: number[]) =>
      console.log(`${label.padEnd(44)} median ${fmt(median(xs))}  p95 ${fmt(percentile(xs, 95))}`);
    console.log(`\nPlacement of ${REPLICAS} replicas on ${4} nodes, ${ROUNDS} interleaved rounds:`);
    row("Berth deploy -> 100 tasks running", berthMs);
    row("docker service create -> 100 tasks running", directMs);
    row("Berth deploy -> serving (health-checked, routed)", servingMs);
    console.log(
      `ratio Berth/direct: median ${(median(berthMs) / median(directMs)).toFixed(2)}, p95 ${(percentile(berthMs, 95) / percentile(directMs, 95)).toFixed(2)} (goal <= 1.1)`,
    );

    // Recovery from a node loss, under traffic through the router.
    await berth.ok(["scale", "warm", "--tenant", "acme", "--env", "prod", "--replicas", "6"]);
    const host = "warm.prod.acme.localhost";
    const servedMs: number[] = [];
    const rescheduledMs: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      await waitFor("6 running", 120, async () => (await runningTasks(servicesOf("warm"))) === 6);
      // The node (not tb1, which Berth talks to) that holds most replicas now.
      const tasks = await manager.listTasks({ filters: { "desired-state": ["running"] } });
      const ids = new Set(await servicesOf("warm")());
      const nodes = new Map((await manager.listNodes()).map((n) => [n.ID, n.Description?.Hostname ?? ""]));
      const count = new Map<string, number>();
      for (const t of tasks)
        if (ids.has(t.ServiceID ?? ""))
          count.set(nodes.get(t.NodeID ?? "") ?? "", (count.get(nodes.get(t.NodeID ?? "") ?? "") ?? 0) + 1);
      const victim = [...count].filter(([n]) => n !== "tb1").sort((a, b) => b[1] - a[1])[0]?.[0] as string;
      const lostAt = performance.now();
      testbed("stop-node", victim);
      let streak = 0;
      let firstOk = 0;
      while (streak < 20) {
        const r = await getViaRouter(berth.routerPort, host, "/", 2000).catch(() => ({ status: 0 }));
        if (r.status === 200) {
          if (streak === 0) firstOk = performance.now();
          streak++;
        } else streak = 0;
      }
      servedMs.push(firstOk - lostAt);
      await waitFor("rescheduled", 120, async () => {
        const now = await manager.listTasks({ filters: { "desired-state": ["running"] } });
        const live = now.filter(
          (t) =>
            ids.has(t.ServiceID ?? "") &&
            t.Status?.State === "running" &&
            nodes.get(t.NodeID ?? "") !== victim,
        );
        return live.length === 6;
      });
      rescheduledMs.push(performance.now() - lostAt);
      testbed("start-node", victim);
      await waitFor("node back", 120, async () =>
        (await manager.listNodes()).every((n) => n.Status?.State === "ready"),
      );
      // Spread the replicas over every node again, so the next round loses some.
      await manager
        .getService([...ids][0] as string)
        .inspect()
        .then(
          (s: {
            Version: { Index: number };
            Spec: Record<string, unknown> & { TaskTemplate: Record<string, unknown> };
          }) =>
            manager.getService([...ids][0] as string).update({
              ...s.Spec,
              version: s.Version.Index,
              TaskTemplate: { ...s.Spec.TaskTemplate, ForceUpdate: round + 1 },
            }),
        );
      console.log(
        `recovery round ${round + 1}: lost ${victim}; served again after ${fmt(servedMs[round] as number)}, all replicas running again after ${fmt(rescheduledMs[round] as number)}`,
      );
    }
    console.log("\nRecovery from losing a node (dockerd stopped), under traffic:");
    row("fully served through the router again", servedMs);
    row("Swarm runs every replica again", rescheduledMs);
  } finally {
    await removeServicesOf(berth.instanceId());
    await berth.destroy();
  }
}

await main();
