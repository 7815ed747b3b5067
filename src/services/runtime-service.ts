import { PassThrough, type Readable } from "node:stream";
import type { ContainerRow } from "../domain/container-row.js";
import { DomainError } from "../domain/domain-error.js";
import type { Store } from "../store/store.js";
import { findAppInEnv } from "./lookup.js";
import type { RunningView } from "./ports.js";

/** What is running: `berth ps` (from status) and `berth logs` (from the engine). */
export class RuntimeService {
  constructor(
    private readonly store: Store,
    private readonly running: RunningView,
  ) {}

  /**
   * Each replica as the reconciler last saw it, from the status it writes: no engine call and no
   * probe on a read, however many replicas there are. Health is the last probe's verdict (the
   * health monitor probes every running replica on a period, passes probe as they go).
   */
  async containers(tenant: string, env: string, app: string): Promise<ContainerRow[]> {
    const where = await findAppInEnv(this.store, tenant, env, app);
    const [replicas, endpoints] = await Promise.all([
      this.store.replicas.list(where.app.id, where.env.id),
      this.store.endpoints.list(where.app.id, where.env.id),
    ]);
    const serving = new Set(endpoints.map((e) => e.container_id));
    const rows = replicas.map((r): ContainerRow => {
      const health: ContainerRow["health"] =
        r.state === "running" && r.address !== null && r.lastProbeAt !== null
          ? r.healthy
            ? "healthy"
            : "unhealthy"
          : r.state === "restarting" || r.state === "created" || r.state === "pending"
            ? "starting"
            : "unknown";
      // A cluster's IDs carry the cluster's name (CLUSTER/TASK); keep it readable.
      const slash = r.workloadId.indexOf("/");
      return {
        id: slash < 0 ? r.workloadId.slice(0, 12) : r.workloadId.slice(0, slash + 13),
        node: r.node,
        detail: r.detail,
        name: r.name,
        release: r.release,
        slot: r.slot,
        state: r.state,
        health,
        hostPort: r.hostPort,
        serving: serving.has(r.workloadId),
        createdAt: r.createdAt,
        lastProbeAt: r.lastProbeAt,
        observedAt: r.observedAt,
      };
    });
    return rows.sort((a, b) => b.release - a.release || a.slot - b.slot);
  }

  /**
   * Merges every container's log, each line prefixed with its release and replica. A slow
   * reader pauses every source (backpressure); closing the result closes them all.
   */
  async logs(tenant: string, env: string, app: string, follow: boolean, tail: number): Promise<Readable> {
    await findAppInEnv(this.store, tenant, env, app);
    return this.logsOf(
      tenant,
      env,
      [{ app, label: "" }],
      follow,
      tail,
      `${app} has no containers in ${env}\n`,
    );
  }

  /**
   * The same over several apps (a service instance's components), each line also prefixed by
   * the app's label. The caller has looked the apps up.
   */
  async logsOf(
    tenant: string,
    env: string,
    apps: { app: string; label: string }[],
    follow: boolean,
    tail: number,
    whenEmpty: string,
  ): Promise<Readable> {
    const opened: { prefix: string; source: Readable }[] = [];
    try {
      for (const { app, label } of apps) {
        const workloads = (await this.running.listWorkloads({ tenant, env, app })).sort(
          (a, b) => a.release - b.release || a.slot - b.slot,
        );
        for (const w of workloads) {
          // A container drained away between the listing and here has no log to give.
          const source = await this.running.logs(w.id, { follow, tail }).catch((error: unknown) => {
            if (error instanceof DomainError && error.code === "not_found") return undefined;
            throw error;
          });
          if (source) opened.push({ prefix: `${label}r${w.release}.${w.slot} | `, source });
        }
      }
    } catch (error) {
      for (const { source } of opened) source.destroy();
      throw error;
    }
    return mergeLines(opened, whenEmpty);
  }
}

function mergeLines(sources: { prefix: string; source: Readable }[], whenEmpty: string): Readable {
  const out = new PassThrough();
  if (sources.length === 0) {
    out.end(whenEmpty);
    return out;
  }
  let open = sources.length;
  const finish = () => {
    if (--open === 0) out.end();
  };
  out.on("drain", () => {
    for (const { source } of sources) source.resume();
  });
  out.on("close", () => {
    for (const { source } of sources) source.destroy();
  });
  for (const { prefix, source } of sources) {
    let partial = "";
    const write = (text: string) => {
      if (!out.write(text)) for (const s of sources) s.source.pause();
    };
    source.on("data", (chunk: Buffer | string) => {
      const lines = (partial + chunk.toString()).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) write(`${prefix}${line}\n`);
    });
    source.once("end", () => {
      if (partial) write(`${prefix}${partial}\n`);
      finish();
    });
    source.once("error", finish);
  }
  return out;
}
