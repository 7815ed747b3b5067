import { createHash } from "node:crypto";
import { PassThrough, type Readable } from "node:stream";
import type Docker from "dockerode";
import { DomainError } from "../../domain/domain-error.js";
import type { JobSpec, JobStatus } from "../../domain/job.js";
import { LABEL } from "../../domain/labels.js";
import type { Placement } from "../../domain/placement.js";
import type { WorkloadSelector } from "../../domain/workload.js";
import { demuxLogs } from "../docker/demux-logs.js";
import { parseIdentityLabels } from "../docker/parse-workload-labels.js";
import { ignoreStatus } from "../docker/status-code.js";
import type { LogOptions } from "../engine.js";
import { type PrepareContext, prepareService } from "./prepare-service.js";
import { replicasOf, type ServiceInfo, updateService, withReplicas } from "./service-info.js";
import { type ServiceRun, serviceSpec } from "./service-spec.js";
import { removeSecrets } from "./swarm-secrets.js";

/** Set on a job's service when Berth stopped it at its deadline. */
const TIMED_OUT_LABEL = "berth.timed-out";
const ENDED = new Set(["complete", "failed", "shutdown", "rejected", "orphaned", "remove"]);

interface JobTask {
  ID: string;
  CreatedAt?: string;
  NodeID?: string;
  Status?: {
    State?: string;
    Timestamp?: string;
    Err?: string;
    Message?: string;
    ContainerStatus?: { ExitCode?: number };
  };
}

export interface SwarmJobsContext {
  docker: Docker;
  call: <T>(p: Promise<T>) => Promise<T>;
  prepare: PrepareContext;
  prefix: string;
  scope: string[];
  ensureEnvironment: (env: { tenant: string; env: string }) => Promise<void>;
  /** The job's placement: on the node of any pinned volume it mounts. */
  placementFor: (spec: JobSpec) => Promise<Placement | undefined>;
  nodeName: (nodeId: string) => Promise<string | null>;
}

/**
 * Jobs on Swarm: one replicated service with one task and restart condition "none", so Swarm
 * runs it once and keeps the task's end (state, exit code). At its deadline Berth scales it to
 * zero and marks it; cancel removes the service.
 */
export class SwarmJobs {
  constructor(private readonly ctx: SwarmJobsContext) {}

  #name(spec: JobSpec): string {
    const { tenant, env, app } = spec.identity;
    const full = `${this.ctx.prefix}${tenant}.${env}.${app}.job.${spec.name}`;
    const hash = createHash("sha256").update(full).digest("hex").slice(0, 8);
    return `${`berth-job-${spec.name}-${app}`.slice(0, 50).replace(/-+$/, "")}-${hash}`;
  }

  async run(spec: JobSpec): Promise<JobStatus> {
    const { docker, call } = this.ctx;
    const name = this.#name(spec);
    const existing = await ignoreStatus(call(docker.getService(name).inspect()), 404);
    if (existing)
      throw new DomainError("conflict", `app ${spec.identity.app} already has a job named ${spec.name}`);
    await this.ctx.ensureEnvironment(spec.identity);
    const deadline = new Date(Date.now() + spec.timeoutSeconds * 1000).toISOString();
    const run: ServiceRun = {
      identity: spec.identity,
      release: 0,
      replicas: 1,
      image: spec.image,
      port: null,
      env: spec.env,
      files: spec.files,
      cpus: spec.cpus,
      memoryMb: spec.memoryMb,
      restart: "no",
      command: spec.command,
      volumes: spec.volumes,
      links: [],
      placement: await this.ctx.placementFor(spec),
    };
    const made = await prepareService(this.ctx.prepare, run, name, 1);
    made.labels = { ...made.labels, [LABEL.job]: spec.name, [LABEL.deadline]: deadline };
    const created = (await call(docker.createService(serviceSpec(run, made) as never))) as {
      id?: string;
      ID?: string;
    };
    const id = (created.id ?? created.ID) as string;
    return (await this.status(id)) as JobStatus;
  }

  async #inspect(id: string): Promise<ServiceInfo | undefined> {
    const info = (await ignoreStatus(this.ctx.call(this.ctx.docker.getService(id).inspect()), 404)) as
      | ServiceInfo
      | undefined;
    if (!info || (info.ID !== id && info.Spec.Name !== id)) return undefined;
    const labels = info.Spec.Labels ?? {};
    const mine = this.ctx.scope.every((kv) => {
      const [k, v] = kv.split("=");
      return labels[k as string] === v;
    });
    return mine && labels[LABEL.job] !== undefined ? info : undefined;
  }

  async status(id: string): Promise<JobStatus | null> {
    const info = await this.#inspect(id);
    if (!info) return null;
    const labels = info.Spec.Labels ?? {};
    const deadline = Date.parse(labels[LABEL.deadline] ?? "");
    const task = await this.#lastTask(info.ID);
    const state = task?.Status?.State ?? "";
    if (state === "running" && Date.now() >= deadline && labels[TIMED_OUT_LABEL] !== "true") {
      await this.ctx.call(
        updateService(this.ctx.docker, info, {
          ...withReplicas(info.Spec, 0),
          Labels: { ...labels, [TIMED_OUT_LABEL]: "true" },
        }),
      );
      return this.status(id);
    }
    const timedOut = labels[TIMED_OUT_LABEL] === "true";
    const ended = timedOut ? ENDED.has(state) || replicasOf(info) === 0 : ENDED.has(state);
    const exit = task?.Status?.ContainerStatus?.ExitCode;
    const identity = parseIdentityLabels(labels) as JobStatus["identity"];
    return {
      id: info.ID,
      name: labels[LABEL.job] as string,
      identity,
      state:
        !task || (!ended && state !== "running")
          ? "pending"
          : !ended
            ? "running"
            : state === "complete" && !timedOut
              ? "succeeded"
              : "failed",
      exitCode: ended && exit !== undefined && state !== "rejected" ? exit : null,
      timedOut,
      startedAt: task?.CreatedAt ?? null,
      finishedAt: ended ? (task?.Status?.Timestamp ?? null) : null,
      node: task?.NodeID ? await this.ctx.nodeName(task.NodeID) : null,
      detail: timedOut
        ? `stopped at its deadline, ${new Date(deadline).toISOString()}`
        : ended && state !== "complete"
          ? task?.Status?.Err || (exit !== undefined ? `exited with code ${exit}` : state)
          : !ended && state !== "running"
            ? task?.Status?.Err || task?.Status?.Message || null
            : null,
    };
  }

  async #lastTask(serviceId: string): Promise<JobTask | undefined> {
    const tasks = (await this.ctx.call(
      this.ctx.docker.listTasks({ filters: { service: [serviceId] } }),
    )) as JobTask[];
    return tasks.sort((a, b) => (a.CreatedAt ?? "").localeCompare(b.CreatedAt ?? "")).at(-1);
  }

  async list(selector: WorkloadSelector): Promise<JobStatus[]> {
    const label = [...this.ctx.scope, LABEL.job];
    if (selector.tenant !== undefined) label.push(`${LABEL.tenant}=${selector.tenant}`);
    if (selector.env !== undefined) label.push(`${LABEL.env}=${selector.env}`);
    if (selector.app !== undefined) label.push(`${LABEL.app}=${selector.app}`);
    const services = (await this.ctx.call(this.ctx.docker.listServices({ filters: { label } }))) as {
      ID: string;
    }[];
    const all = await Promise.all(services.map((s) => this.status(s.ID)));
    return all.filter((j): j is JobStatus => j !== null).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Its output; a followed log ends a moment after the job does (Swarm's own would not). */
  async logs(id: string, options: LogOptions): Promise<Readable> {
    const info = await this.#inspect(id);
    if (!info) throw new DomainError("not_found", `job ${id.slice(0, 12)} not found`);
    const service = this.ctx.docker.getService(info.ID) as unknown as {
      logs(opts: object): Promise<NodeJS.ReadableStream | Buffer>;
    };
    const source = await this.ctx.call(
      service.logs({
        stdout: true,
        stderr: true,
        tail: options.tail,
        timestamps: false,
        follow: options.follow,
      }),
    );
    const text = demuxLogs(this.ctx.docker.modem, source as never);
    if (!options.follow) return text;
    const out = new PassThrough();
    text.pipe(out);
    const timer = setInterval(async () => {
      const s = await this.status(info.ID).catch(() => null);
      if (s && s.state !== "running" && s.state !== "pending") {
        clearInterval(timer);
        setTimeout(() => {
          text.destroy();
          out.end();
        }, 1000);
      }
    }, 1000);
    out.once("close", () => {
      clearInterval(timer);
      text.destroy();
    });
    return out;
  }

  async cancel(id: string): Promise<void> {
    const info = await this.#inspect(id);
    if (!info) return;
    await ignoreStatus(this.ctx.call(this.ctx.docker.getService(info.ID).remove()), 404);
    await this.ctx.call(removeSecrets(this.ctx.docker, info.Spec.Name));
  }
}
