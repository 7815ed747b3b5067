import type { Readable } from "node:stream";
import type { ErrorBody } from "../api/error-body.js";
import type { BuildLine } from "../api/routes/build-routes.js";
import type { App, AppInfo } from "../domain/app.js";
import type { ContainerRow } from "../domain/container-row.js";
import type { Deployment, DeployRequest } from "../domain/deployment.js";
import type { DeploymentEvent } from "../domain/deployment-event.js";
import type { Environment } from "../domain/environment.js";
import type { Release } from "../domain/release.js";
import type { Tenant } from "../domain/tenant.js";
import { CliError } from "./cli-error.js";

export interface DeployOutcome {
  release: number;
  eventCursor: number;
  deployment: Deployment;
}

const seg = encodeURIComponent;

/** A typed client of the REST API; its types come from the schemas that validate requests. */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string,
  ) {}

  private async request(
    method: string,
    path: string,
    body?: unknown,
    init: RequestInit = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    if (body !== undefined) headers["content-type"] = "application/json";
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}/api/v1${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        ...init,
        ...(init.headers ? { headers: { ...headers, ...(init.headers as Record<string, string>) } } : {}),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      throw new CliError(
        `cannot reach the Berth server at ${this.baseUrl} (${cause}); is it running? (scripts/up starts it)`,
      );
    }
    if (!res.ok) {
      const text = await res.text();
      let message = `${res.status} ${res.statusText}`;
      try {
        message = (JSON.parse(text) as ErrorBody).error.message;
      } catch {
        // Not a Berth error body (a proxy in the way?): show the status line.
      }
      throw new CliError(message);
    }
    return res;
  }

  private async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.request(method, path, body);
    return (res.status === 204 ? undefined : await res.json()) as T;
  }

  health = () => this.json<{ ok: boolean; version: string }>("GET", "/healthz");
  listTenants = () => this.json<Tenant[]>("GET", "/tenants");
  createTenant = (name: string) => this.json<Tenant>("POST", "/tenants", { name });
  deleteTenant = (name: string) => this.json<void>("DELETE", `/tenants/${seg(name)}`);
  listEnvs = (t: string) => this.json<Environment[]>("GET", `/tenants/${seg(t)}/envs`);
  createEnv = (t: string, name: string) =>
    this.json<Environment>("POST", `/tenants/${seg(t)}/envs`, { name });
  deleteEnv = (t: string, name: string) => this.json<void>("DELETE", `/tenants/${seg(t)}/envs/${seg(name)}`);
  listApps = (t: string) => this.json<App[]>("GET", `/tenants/${seg(t)}/apps`);
  createApp = (t: string, name: string) => this.json<App>("POST", `/tenants/${seg(t)}/apps`, { name });
  appInfo = (t: string, name: string) => this.json<AppInfo>("GET", `/tenants/${seg(t)}/apps/${seg(name)}`);
  deleteApp = (t: string, name: string) => this.json<void>("DELETE", `/tenants/${seg(t)}/apps/${seg(name)}`);

  private appPath = (t: string, e: string, a: string) => `/tenants/${seg(t)}/envs/${seg(e)}/apps/${seg(a)}`;
  deploy = (t: string, e: string, a: string, req: DeployRequest) =>
    this.json<DeployOutcome>("POST", `${this.appPath(t, e, a)}/deploy`, req);
  rollback = (t: string, e: string, a: string, to?: number) =>
    this.json<DeployOutcome>("POST", `${this.appPath(t, e, a)}/rollback`, to === undefined ? {} : { to });
  scale = (t: string, e: string, a: string, replicas: number) =>
    this.json<Deployment>("POST", `${this.appPath(t, e, a)}/scale`, { replicas });
  deployment = (t: string, e: string, a: string) =>
    this.json<Deployment>("GET", `${this.appPath(t, e, a)}/deployment`);
  releases = (t: string, e: string, a: string) =>
    this.json<Release[]>("GET", `${this.appPath(t, e, a)}/releases`);
  events = (t: string, e: string, a: string, after: number) =>
    this.json<DeploymentEvent[]>("GET", `${this.appPath(t, e, a)}/events?after=${after}`);
  containers = (t: string, e: string, a: string) =>
    this.json<ContainerRow[]>("GET", `${this.appPath(t, e, a)}/containers`);

  async logs(
    t: string,
    e: string,
    a: string,
    follow: boolean,
    tail: number,
  ): Promise<ReadableStream<Uint8Array>> {
    const res = await this.request("GET", `${this.appPath(t, e, a)}/logs?follow=${follow}&tail=${tail}`);
    if (!res.body) throw new CliError("the server sent no log stream");
    return res.body;
  }

  /** Streams a tar context up and the build log down; resolves with the built image. */
  async build(t: string, a: string, context: Readable, onLine: (line: BuildLine) => void): Promise<void> {
    const res = await this.request("POST", `/tenants/${seg(t)}/apps/${seg(a)}/builds`, undefined, {
      body: context as unknown as BodyInit,
      headers: { "content-type": "application/x-tar" },
      duplex: "half",
    } as RequestInit);
    if (!res.body) throw new CliError("the server sent no build log");
    const decoder = new TextDecoder();
    let partial = "";
    for await (const chunk of res.body) {
      const lines = (partial + decoder.decode(chunk, { stream: true })).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) if (line.trim()) onLine(JSON.parse(line) as BuildLine);
    }
    if (partial.trim()) onLine(JSON.parse(partial) as BuildLine);
  }
}
