import type { IncomingMessage } from "node:http";
import type { Readable } from "node:stream";
import type { z } from "zod";
import type { ErrorBody } from "../api/error-body.js";
import type { BuildLine } from "../api/routes/build-routes.js";
import type { RotateKeyResult } from "../domain/admin.js";
import type { App, AppInfo } from "../domain/app.js";
import type { AppRoute, AppRouteRequest } from "../domain/app-route.js";
import type { AuditEntry } from "../domain/audit.js";
import type { Burst } from "../domain/burst.js";
import type { Canary, CanaryRulesPatch, CanaryStartRequest, CanaryStatus } from "../domain/canary.js";
import type { Cluster, ClusterNode, CreateClusterRequest } from "../domain/cluster.js";
import type {
  ConfigChangeRequest,
  ConfigChangeResult,
  ConfigDiff,
  ConfigFileRemoveRequest,
  ConfigFileRequest,
  ConfigListing,
} from "../domain/config.js";
import type { ContainerRow } from "../domain/container-row.js";
import type { Deployment, DeployRequest } from "../domain/deployment.js";
import type { DeploymentEvent } from "../domain/deployment-event.js";
import type { Environment } from "../domain/environment.js";
import type {
  CreateTokenRequest,
  CreateUserRequest,
  IssuedToken,
  Member,
  TokenInfo,
  User,
  WhoAmI,
} from "../domain/identity.js";
import type { ExceptionKind, PolicyException } from "../domain/isolation.js";
import type { Link, LinkRequest } from "../domain/link.js";
import type { ApplyResult, Manifest } from "../domain/manifest.js";
import type { QuotaReport, QuotaRequest } from "../domain/quota.js";
import type { Release } from "../domain/release.js";
import type { Role } from "../domain/roles.js";
import type { ReleaseResources, SettingsPatch } from "../domain/settings.js";
import type { Tenant } from "../domain/tenant.js";
import { CliError, ServerUnreachable } from "./cli-error.js";
import { httpRequest, readText } from "./http-request.js";

export interface DeployOutcome {
  release: number;
  eventCursor: number;
  deployment: Deployment;
}

export interface CanaryOutcome {
  canary: Canary;
  eventCursor: number;
}

/** Requests as sent: defaults are the server's to fill in. */
export type CanaryStartBody = z.input<typeof CanaryStartRequest>;
export type AppRouteBody = z.input<typeof AppRouteRequest>;

const seg = encodeURIComponent;
const query = (q: Record<string, string | number | boolean | undefined>) =>
  new URLSearchParams(
    Object.entries(q)
      .filter((e): e is [string, string | number | boolean] => e[1] !== undefined)
      .map(([k, v]) => [k, String(v)]),
  ).toString();

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
    raw?: { body: Readable; contentType: string },
  ): Promise<IncomingMessage> {
    // Signing in is the one call made before there is a token.
    const headers: Record<string, string> = this.token ? { authorization: `Bearer ${this.token}` } : {};
    let payload: string | Readable | undefined;
    if (raw) {
      headers["content-type"] = raw.contentType;
      payload = raw.body;
    } else if (body !== undefined) {
      headers["content-type"] = "application/json";
      payload = JSON.stringify(body);
    }
    let res: IncomingMessage;
    try {
      res = await httpRequest(method, `${this.baseUrl}/api/v1${path}`, headers, payload);
    } catch (error) {
      const cause = (error as { code?: string }).code ?? (error as Error).message;
      throw new ServerUnreachable(
        `cannot reach the Berth server at ${this.baseUrl} (${cause}); is it running? (scripts/up starts it)`,
      );
    }
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) {
      const text = await readText(res);
      let message = `${status} ${res.statusMessage ?? ""}`.trim();
      let body: ErrorBody["error"] | undefined;
      try {
        body = (JSON.parse(text) as ErrorBody).error;
        message = body.message;
      } catch {
        // Not a Berth error body (a proxy in the way?): show the status line.
      }
      throw new CliError(message, 1, body?.field, body?.issues);
    }
    return res;
  }

  private async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.request(method, path, body);
    const text = await readText(res);
    return (res.statusCode === 204 || text === "" ? undefined : JSON.parse(text)) as T;
  }

  health = () => this.json<{ ok: boolean; version: string }>("GET", "/healthz");
  login = (user: string, password: string, expiresInSeconds?: number | null) =>
    this.json<IssuedToken>("POST", "/sessions", { user, password, expiresInSeconds });
  whoami = () => this.json<WhoAmI>("GET", "/whoami");
  listUsers = () => this.json<User[]>("GET", "/users");
  createUser = (req: z.input<typeof CreateUserRequest>) => this.json<User>("POST", "/users", req);
  deleteUser = (name: string) => this.json<void>("DELETE", `/users/${seg(name)}`);
  setPassword = (name: string, password: string) =>
    this.json<void>("PUT", `/users/${seg(name)}/password`, { password });
  listTokens = (all: boolean) => this.json<TokenInfo[]>("GET", `/tokens?${query({ all })}`);
  createToken = (req: CreateTokenRequest) => this.json<IssuedToken>("POST", "/tokens", req);
  revokeToken = (id: number) => this.json<TokenInfo>("DELETE", `/tokens/${id}`);
  listMembers = (t: string) => this.json<Member[]>("GET", `/tenants/${seg(t)}/members`);
  putMember = (t: string, user: string, role: Role) =>
    this.json<Member>("PUT", `/tenants/${seg(t)}/members`, { user, role });
  removeMember = (t: string, user: string) =>
    this.json<void>("DELETE", `/tenants/${seg(t)}/members/${seg(user)}`);
  protectEnv = (t: string, env: string, minRole: Role) =>
    this.json<void>("PUT", `/tenants/${seg(t)}/envs/${seg(env)}/protection`, { minRole });
  unprotectEnv = (t: string, env: string) =>
    this.json<void>("DELETE", `/tenants/${seg(t)}/envs/${seg(env)}/protection`);
  quota = (t: string) => this.json<QuotaReport>("GET", `/tenants/${seg(t)}/quota`);
  setQuota = (t: string, req: QuotaRequest) => this.json<QuotaReport>("PUT", `/tenants/${seg(t)}/quota`, req);
  listExceptions = (t: string) => this.json<PolicyException[]>("GET", `/tenants/${seg(t)}/exceptions`);
  grantException = (t: string, kind: ExceptionKind, values: string[], reason: string) =>
    this.json<PolicyException>("PUT", `/tenants/${seg(t)}/exceptions/${seg(kind)}`, { values, reason });
  revokeException = (t: string, kind: ExceptionKind) =>
    this.json<{ kind: ExceptionKind; stillRunning: string[] }>(
      "DELETE",
      `/tenants/${seg(t)}/exceptions/${seg(kind)}`,
    );
  listTenants = () => this.json<Tenant[]>("GET", "/tenants");
  createTenant = (name: string, owner?: string) => this.json<Tenant>("POST", "/tenants", { name, owner });
  deleteTenant = (name: string) => this.json<void>("DELETE", `/tenants/${seg(name)}`);
  listEnvs = (t: string) => this.json<Environment[]>("GET", `/tenants/${seg(t)}/envs`);
  createEnv = (t: string, name: string, cluster?: string) =>
    this.json<Environment>("POST", `/tenants/${seg(t)}/envs`, { name, ...(cluster ? { cluster } : {}) });
  setBurst = (
    t: string,
    e: string,
    a: string,
    req: { prefer: string; overflow: string; maxOverflow?: number },
  ) => this.json<Burst>("PUT", `${this.appPath(t, e, a)}/burst`, req);
  burst = (t: string, e: string, a: string) => this.json<Burst>("GET", `${this.appPath(t, e, a)}/burst`);
  clearBurst = (t: string, e: string, a: string) =>
    this.json<void>("DELETE", `${this.appPath(t, e, a)}/burst`);
  addCluster = (req: CreateClusterRequest) => this.json<Cluster>("POST", "/clusters", req);
  listClusters = () => this.json<Cluster[]>("GET", "/clusters");
  cluster = (name: string) => this.json<Cluster>("GET", `/clusters/${seg(name)}`);
  removeCluster = (name: string) => this.json<void>("DELETE", `/clusters/${seg(name)}`);
  nodes = (cluster: string) => this.json<ClusterNode[]>("GET", `/clusters/${seg(cluster)}/nodes`);
  labelNode = (cluster: string, node: string, set: Record<string, string>, remove: string[]) =>
    this.json<ClusterNode>("PATCH", `/clusters/${seg(cluster)}/nodes/${seg(node)}/labels`, { set, remove });
  nodeAvailability = (cluster: string, node: string, availability: "active" | "drain" | "pause") =>
    this.json<ClusterNode>("PUT", `/clusters/${seg(cluster)}/nodes/${seg(node)}/availability`, {
      availability,
    });
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

  addLink = (t: string, e: string, a: string, to: LinkRequest) =>
    this.json<Link>("POST", `${this.appPath(t, e, a)}/links`, to);
  listLinks = (t: string, e: string, a: string) => this.json<Link[]>("GET", `${this.appPath(t, e, a)}/links`);
  removeLink = (t: string, e: string, a: string, id: number) =>
    this.json<void>("DELETE", `${this.appPath(t, e, a)}/links/${id}`);
  startCanary = (t: string, e: string, a: string, req: CanaryStartBody) =>
    this.json<CanaryOutcome>("POST", `${this.appPath(t, e, a)}/canary`, req);
  canaryStatus = (t: string, e: string, a: string, window: number) =>
    this.json<CanaryStatus>("GET", `${this.appPath(t, e, a)}/canary?window=${window}`);
  updateCanaryRules = (t: string, e: string, a: string, patch: CanaryRulesPatch) =>
    this.json<Canary>("PATCH", `${this.appPath(t, e, a)}/canary/rules`, patch);
  promoteCanary = (t: string, e: string, a: string) =>
    this.json<CanaryOutcome>("POST", `${this.appPath(t, e, a)}/canary/promote`);
  abortCanary = (t: string, e: string, a: string) =>
    this.json<CanaryOutcome>("POST", `${this.appPath(t, e, a)}/canary/abort`);
  addRoute = (t: string, e: string, a: string, req: AppRouteBody) =>
    this.json<AppRoute>("POST", `${this.appPath(t, e, a)}/routes`, req);
  listRoutes = (t: string, e: string, a: string) =>
    this.json<AppRoute[]>("GET", `${this.appPath(t, e, a)}/routes`);
  removeRoute = (t: string, e: string, a: string, id: number) =>
    this.json<void>("DELETE", `${this.appPath(t, e, a)}/routes/${id}`);
  changeConfig = (t: string, req: ConfigChangeRequest) =>
    this.json<ConfigChangeResult>("PATCH", `/tenants/${seg(t)}/config`, req);
  listConfig = (t: string, q: { app?: string; env?: string; showSecrets: boolean }) =>
    this.json<ConfigListing>("GET", `/tenants/${seg(t)}/config?${query(q)}`);
  putConfigFile = (t: string, req: ConfigFileRequest) =>
    this.json<ConfigChangeResult>("PUT", `/tenants/${seg(t)}/config/files`, req);
  removeConfigFile = (t: string, req: ConfigFileRemoveRequest) =>
    this.json<ConfigChangeResult>("POST", `/tenants/${seg(t)}/config/files/remove`, req);
  patchSettings = (
    t: string,
    req: { app?: string; env?: string; settings: SettingsPatch; stage?: boolean },
  ) => this.json<ConfigChangeResult>("PATCH", `/tenants/${seg(t)}/settings`, req);
  settings = (t: string, app: string, env: string) =>
    this.json<{
      settings: { name: string; value: unknown; layer: string }[];
      replicas: number;
      resources: ReleaseResources | null;
    }>("GET", `/tenants/${seg(t)}/settings?${query({ app, env })}`);
  configDiff = (t: string, e: string, a: string, q: { from?: number; to?: number; showSecrets: boolean }) =>
    this.json<ConfigDiff>("GET", `${this.appPath(t, e, a)}/config/diff?${query(q)}`);
  redeploy = (t: string, e: string, a: string) =>
    this.json<DeployOutcome>("POST", `${this.appPath(t, e, a)}/redeploy`);
  promote = (t: string, a: string, from: string, to: string) =>
    this.json<DeployOutcome>("POST", `/tenants/${seg(t)}/apps/${seg(a)}/promote`, { from, to });
  apply = (manifest: Manifest, dryRun: boolean) =>
    this.json<ApplyResult>("POST", "/apply", { manifest, dryRun });
  exportManifest = (tenant: string, env?: string) =>
    this.json<Manifest>("GET", `/export?${query({ tenant, env })}`);
  rotateKey = (prune: boolean) => this.json<RotateKeyResult>("POST", "/admin/rotate-key", { prune });
  backup = () => this.request("GET", "/admin/backup");
  audit = (q: { tenant?: string; since?: string; limit?: number }) =>
    this.json<AuditEntry[]>("GET", `/audit?${query(q)}`);

  async caCertificate(): Promise<string> {
    return readText(await this.request("GET", "/tls/ca"));
  }

  logs(t: string, e: string, a: string, follow: boolean, tail: number): Promise<Readable> {
    return this.request("GET", `${this.appPath(t, e, a)}/logs?follow=${follow}&tail=${tail}`);
  }

  /** Streams a tar context up and the build log down, one BuildLine at a time. */
  async build(t: string, a: string, context: Readable, onLine: (line: BuildLine) => void): Promise<void> {
    const res = await this.request("POST", `/tenants/${seg(t)}/apps/${seg(a)}/builds`, undefined, {
      body: context,
      contentType: "application/x-tar",
    });
    res.setEncoding("utf8");
    let partial = "";
    for await (const chunk of res) {
      const lines = (partial + (chunk as string)).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) if (line.trim()) onLine(JSON.parse(line) as BuildLine);
    }
    if (partial.trim()) onLine(JSON.parse(partial) as BuildLine);
  }
}
