import type { Readable } from "node:stream";
import { DomainError } from "../../domain/domain-error.js";
import { networkName } from "../../domain/environment.js";
import type { JobSpec, JobStatus } from "../../domain/job.js";
import { jobContainerName, LABEL } from "../../domain/labels.js";
import type { EnvironmentRef, WorkloadSelector } from "../../domain/workload.js";
import type { LogOptions } from "../engine.js";
import type { Container } from "./container-spec.js";
import type { ContainerState, DockerContainers } from "./docker-containers.js";

/** How long a job past its deadline gets between SIGTERM and SIGKILL. */
const DEADLINE_GRACE_SECONDS = 5;

/**
 * Jobs on the local engine: one container each (restart policy "no"), labelled with the job's
 * name and deadline. dockerd has no deadlines, so this process stops a job at its deadline, and
 * every status read stops one that a restart of Berth left running past it. The container stays
 * after it ends, so its exit code and log can be read, until it is cancelled (removed).
 */
export class DockerJobs {
  readonly #timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly containers: DockerContainers,
    private readonly ensureEnvironment: (env: EnvironmentRef) => Promise<void>,
  ) {}

  async run(spec: JobSpec): Promise<JobStatus> {
    const { identity } = spec;
    await this.ensureEnvironment(identity);
    const deadline = new Date(Date.now() + spec.timeoutSeconds * 1000).toISOString();
    let started: Container;
    try {
      started = await this.containers.start({
        identity,
        name: jobContainerName(identity, spec.name),
        release: 0,
        slot: 0,
        image: spec.image,
        port: null,
        network: networkName(identity.tenant, identity.env),
        env: spec.env,
        files: spec.files,
        cpus: spec.cpus,
        memoryMb: spec.memoryMb,
        restart: "no",
        command: spec.command,
        volumes: spec.volumes,
        extraLabels: { [LABEL.job]: spec.name, [LABEL.deadline]: deadline },
      });
    } catch (error) {
      if (error instanceof DomainError && error.code === "conflict")
        throw new DomainError("conflict", `app ${identity.app} already has a job named ${spec.name}`);
      throw error;
    }
    this.#arm(started.id, deadline);
    return (await this.status(started.id)) as JobStatus;
  }

  #arm(id: string, deadline: string): void {
    const timer = setTimeout(
      () => {
        this.#timers.delete(id);
        void this.status(id).catch(() => undefined);
      },
      Math.max(0, Date.parse(deadline) - Date.now()),
    );
    timer.unref();
    this.#timers.set(id, timer);
  }

  /** How it stands; a job still running past its deadline is stopped first. */
  async status(id: string): Promise<JobStatus | null> {
    let state = await this.containers.state(id);
    if (!state || state.labels[LABEL.job] === undefined) return null;
    const deadline = Date.parse(state.labels[LABEL.deadline] ?? "");
    if (state.status === "running" && Date.now() >= deadline) {
      await this.containers.stop(id, DEADLINE_GRACE_SECONDS);
      state = (await this.containers.state(id)) ?? state;
    }
    return toStatus(id, state, deadline);
  }

  async list(selector: WorkloadSelector): Promise<JobStatus[]> {
    const jobs = (await this.containers.list(selector)).filter((c) => c.labels[LABEL.job] !== undefined);
    const all = await Promise.all(jobs.map((c) => this.status(c.id)));
    return all.filter((j): j is JobStatus => j !== null).sort((a, b) => a.name.localeCompare(b.name));
  }

  async logs(id: string, options: LogOptions): Promise<Readable> {
    await this.#mustBeJob(id);
    return this.containers.logs(id, options);
  }

  async cancel(id: string, graceSeconds: number): Promise<void> {
    const state = await this.containers.state(id);
    if (!state) return;
    if (state.labels[LABEL.job] === undefined)
      throw new DomainError("conflict", `container ${id.slice(0, 12)} is not a job`);
    clearTimeout(this.#timers.get(id));
    this.#timers.delete(id);
    await this.containers.remove(id, graceSeconds);
  }

  async #mustBeJob(id: string): Promise<void> {
    const state = await this.containers.state(id);
    if (!state || state.labels[LABEL.job] === undefined)
      throw new DomainError("not_found", `job ${id.slice(0, 12)} not found`);
  }
}

function toStatus(id: string, s: ContainerState, deadline: number): JobStatus {
  const ended = s.status === "exited" || s.status === "dead";
  const finished = s.finishedAt ? Date.parse(s.finishedAt) : null;
  // It ran to (or past) its deadline: stopped there, or ended on its own too late.
  const timedOut = ended && finished !== null && finished >= deadline;
  const never = ended && s.startedAt === null;
  return {
    id,
    name: s.labels[LABEL.job] as string,
    identity: {
      tenant: s.labels[LABEL.tenant] as string,
      env: s.labels[LABEL.env] as string,
      app: s.labels[LABEL.app] as string,
    },
    state: !ended
      ? s.status === "created"
        ? "pending"
        : "running"
      : s.exitCode === 0 && !timedOut
        ? "succeeded"
        : "failed",
    exitCode: ended && !never ? s.exitCode : null,
    timedOut,
    startedAt: s.startedAt,
    finishedAt: ended ? s.finishedAt : null,
    node: null,
    detail: timedOut
      ? `stopped at its deadline, ${new Date(deadline).toISOString()}`
      : never
        ? s.error || "it never started"
        : ended && s.exitCode !== 0
          ? `exited with code ${s.exitCode}`
          : null,
  };
}
