import { PassThrough, type Readable } from "node:stream";
import type { ContainerRow } from "../domain/container-row.js";
import type { Store } from "../store/store.js";
import { findAppInEnv } from "./lookup.js";
import type { HealthCheck, RunningView } from "./ports.js";

/** What is running right now: `berth ps` and `berth logs`. */
export class RuntimeService {
  constructor(
    private readonly store: Store,
    private readonly running: RunningView,
    private readonly healthCheck: HealthCheck,
  ) {}

  async containers(tenant: string, env: string, app: string): Promise<ContainerRow[]> {
    const where = await findAppInEnv(this.store, tenant, env, app);
    const [workloads, endpoints, releases] = await Promise.all([
      this.running.list({ tenant, env, app }),
      this.store.endpoints.list(where.app.id, where.env.id),
      this.store.releases.list(where.app.id, where.env.id),
    ]);
    const serving = new Set(endpoints.map((e) => e.container_id));
    const rows = await Promise.all(
      workloads.map(async (w): Promise<ContainerRow> => {
        const release = releases.find((r) => r.number === w.release);
        let health: ContainerRow["health"] = "unknown";
        if (w.state === "running" && w.hostPort !== null && release) {
          health = (await this.healthCheck(w.hostPort, release.health_path)) ? "healthy" : "unhealthy";
        } else if (w.state === "restarting" || w.state === "created") health = "starting";
        return {
          id: w.id.slice(0, 12),
          name: w.name,
          release: w.release,
          slot: w.slot,
          state: w.state,
          health,
          hostPort: w.hostPort,
          serving: serving.has(w.id),
          createdAt: w.createdAt,
        };
      }),
    );
    return rows.sort((a, b) => b.release - a.release || a.slot - b.slot);
  }

  /** Merges every container's log, each line prefixed with its release and replica. */
  async logs(tenant: string, env: string, app: string, follow: boolean, tail: number): Promise<Readable> {
    await findAppInEnv(this.store, tenant, env, app);
    const workloads = (await this.running.list({ tenant, env, app })).sort(
      (a, b) => a.release - b.release || a.slot - b.slot,
    );
    const out = new PassThrough();
    if (workloads.length === 0) {
      out.end(`${app} has no containers in ${env}\n`);
      return out;
    }
    let open = workloads.length;
    const sources: Readable[] = [];
    for (const w of workloads) {
      const source = await this.running.logs(w.id, { follow, tail });
      sources.push(source);
      const prefix = `r${w.release}.${w.slot} | `;
      let partial = "";
      source.on("data", (chunk: Buffer) => {
        const lines = (partial + chunk.toString("utf8")).split("\n");
        partial = lines.pop() ?? "";
        for (const line of lines) out.write(`${prefix}${line}\n`);
      });
      source.on("end", () => {
        if (partial) out.write(`${prefix}${partial}\n`);
        if (--open === 0) out.end();
      });
      source.on("error", () => {
        if (--open === 0) out.end();
      });
    }
    out.on("close", () => {
      for (const s of sources) s.destroy();
    });
    return out;
  }
}
