import { PassThrough, type Readable } from "node:stream";
import { resourcesOfRow } from "../config/open-release.js";
import type { ContainerRow } from "../domain/container-row.js";
import { DomainError } from "../domain/domain-error.js";
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
        if (w.state === "running" && w.address !== null && release) {
          const check = { kind: resourcesOfRow(release).healthCheck, path: release.health_path };
          health = (await this.healthCheck(w.address, w.publishedPort ?? release.port, check))
            ? "healthy"
            : "unhealthy";
        } else if (w.state === "restarting" || w.state === "created" || w.state === "pending")
          health = "starting";
        // A cluster's IDs carry the cluster's name (CLUSTER/TASK); keep it readable.
        const slash = w.id.indexOf("/");
        return {
          id: slash < 0 ? w.id.slice(0, 12) : w.id.slice(0, slash + 13),
          node: w.node ?? null,
          detail: w.detail ?? null,
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

  /**
   * Merges every container's log, each line prefixed with its release and replica. A slow
   * reader pauses every source (backpressure); closing the result closes them all.
   */
  async logs(tenant: string, env: string, app: string, follow: boolean, tail: number): Promise<Readable> {
    await findAppInEnv(this.store, tenant, env, app);
    const workloads = (await this.running.list({ tenant, env, app })).sort(
      (a, b) => a.release - b.release || a.slot - b.slot,
    );
    const opened: { prefix: string; source: Readable }[] = [];
    try {
      for (const w of workloads) {
        // A container drained away between the listing and here has no log to give.
        const source = await this.running.logs(w.id, { follow, tail }).catch((error: unknown) => {
          if (error instanceof DomainError && error.code === "not_found") return undefined;
          throw error;
        });
        if (source) opened.push({ prefix: `r${w.release}.${w.slot} | `, source });
      }
    } catch (error) {
      for (const { source } of opened) source.destroy();
      throw error;
    }
    return mergeLines(opened, `${app} has no containers in ${env}\n`);
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
