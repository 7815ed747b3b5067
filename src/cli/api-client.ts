import type { Readable } from "node:stream";
import type { z } from "zod";
import { jsonLines, rawBody } from "../../packages/client/src/index.js";
import type { BuildLine } from "../api/routes/build-routes.js";
import type { RotateKeyResult } from "../domain/admin.js";
import type { App, AppInfo } from "../domain/app.js";
import type { AppRoute, AppRouteRequest } from "../domain/app-route.js";
import type { AuditEntry, AuditVerifyReport } from "../domain/audit.js";
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
import { ApiCalls } from "./api-calls.js";

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

const flag = (value: boolean) => (value ? "true" : "false");
const tenant = (t: string) => ({ path: { tenant: t } });
const app = (t: string, e: string, a: string) => ({ path: { tenant: t, env: e, app: a } });

/**
 * The CLI's client of the REST API, on @berth/client: every call names a path of the OpenAPI
 * document, so paths, parameters, bodies and answers are checked against it by the compiler,
 * and each answer against the domain type the commands use. The few `as Promise<...>` are where
 * the document is looser than the answers: it has one schema per shape for requests and answers
 * alike, so a field with a default (a host mount's readOnly, a canary's header rules) is optional
 * in it, while the server's answers always carry it.
 */
export class ApiClient extends ApiCalls {
  health = (): Promise<{ ok: boolean; version: string }> => this.call(this.api.GET("/healthz"));
  login = (user: string, password: string, expiresInSeconds?: number | null): Promise<IssuedToken> =>
    this.call(this.api.POST("/sessions", { body: { user, password, expiresInSeconds } }));
  whoami = (): Promise<WhoAmI> => this.call(this.api.GET("/whoami"));
  listUsers = (): Promise<User[]> => this.call(this.api.GET("/users"));
  createUser = (req: z.input<typeof CreateUserRequest>): Promise<User> =>
    this.call(this.api.POST("/users", { body: req }));
  deleteUser = (name: string): Promise<void> =>
    this.call(this.api.DELETE("/users/{user}", { params: { path: { user: name } } }));
  setPassword = (name: string, password: string): Promise<void> =>
    this.call(
      this.api.PUT("/users/{user}/password", { params: { path: { user: name } }, body: { password } }),
    );
  listTokens = (all: boolean): Promise<TokenInfo[]> =>
    this.call(this.api.GET("/tokens", { params: { query: { all: flag(all) } } }));
  createToken = (req: CreateTokenRequest): Promise<IssuedToken> =>
    this.call(this.api.POST("/tokens", { body: req }));
  revokeToken = (id: number): Promise<TokenInfo> =>
    this.call(this.api.DELETE("/tokens/{id}", { params: { path: { id } } }));
  listMembers = (t: string): Promise<Member[]> =>
    this.call(this.api.GET("/tenants/{tenant}/members", { params: tenant(t) }));
  putMember = (t: string, user: string, role: Role): Promise<Member> =>
    this.call(this.api.PUT("/tenants/{tenant}/members", { params: tenant(t), body: { user, role } }));
  removeMember = (t: string, user: string): Promise<void> =>
    this.call(this.api.DELETE("/tenants/{tenant}/members/{user}", { params: { path: { tenant: t, user } } }));
  protectEnv = (t: string, env: string, minRole: Role): Promise<void> =>
    this.call(
      this.api.PUT("/tenants/{tenant}/envs/{env}/protection", {
        params: { path: { tenant: t, env } },
        // The API takes developer, maintainer or owner; it refuses viewer with a 400 as it always did.
        body: { minRole: minRole as Exclude<Role, "viewer"> },
      }),
    );
  unprotectEnv = (t: string, env: string): Promise<void> =>
    this.call(
      this.api.DELETE("/tenants/{tenant}/envs/{env}/protection", { params: { path: { tenant: t, env } } }),
    );
  quota = (t: string): Promise<QuotaReport> =>
    this.call(this.api.GET("/tenants/{tenant}/quota", { params: tenant(t) }));
  setQuota = (t: string, req: QuotaRequest): Promise<QuotaReport> =>
    this.call(this.api.PUT("/tenants/{tenant}/quota", { params: tenant(t), body: req }));
  listExceptions = (t: string): Promise<PolicyException[]> =>
    this.call(this.api.GET("/tenants/{tenant}/exceptions", { params: tenant(t) }));
  grantException = (
    t: string,
    kind: ExceptionKind,
    values: string[],
    reason: string,
  ): Promise<PolicyException> =>
    this.call(
      this.api.PUT("/tenants/{tenant}/exceptions/{kind}", {
        params: { path: { tenant: t, kind } },
        body: { values, reason },
      }),
    );
  revokeException = (
    t: string,
    kind: ExceptionKind,
  ): Promise<{ kind: ExceptionKind; stillRunning: string[] }> =>
    this.call(
      this.api.DELETE("/tenants/{tenant}/exceptions/{kind}", { params: { path: { tenant: t, kind } } }),
    );
  listTenants = (): Promise<Tenant[]> => this.call(this.api.GET("/tenants"));
  createTenant = (name: string, owner?: string): Promise<Tenant> =>
    this.call(this.api.POST("/tenants", { body: { name, owner } }));
  deleteTenant = (name: string): Promise<void> =>
    this.call(this.api.DELETE("/tenants/{tenant}", { params: tenant(name) }));
  listEnvs = (t: string): Promise<Environment[]> =>
    this.call(this.api.GET("/tenants/{tenant}/envs", { params: tenant(t) }));
  createEnv = (t: string, name: string, cluster?: string): Promise<Environment> =>
    this.call(
      this.api.POST("/tenants/{tenant}/envs", {
        params: tenant(t),
        body: { name, ...(cluster ? { cluster } : {}) },
      }),
    );
  setBurst = (
    t: string,
    e: string,
    a: string,
    req: { prefer: string; overflow: string; maxOverflow?: number },
  ): Promise<Burst> =>
    this.call(
      this.api.PUT("/tenants/{tenant}/envs/{env}/apps/{app}/burst", { params: app(t, e, a), body: req }),
    );
  burst = (t: string, e: string, a: string): Promise<Burst> =>
    this.call(this.api.GET("/tenants/{tenant}/envs/{env}/apps/{app}/burst", { params: app(t, e, a) }));
  clearBurst = (t: string, e: string, a: string): Promise<void> =>
    this.call(this.api.DELETE("/tenants/{tenant}/envs/{env}/apps/{app}/burst", { params: app(t, e, a) }));
  addCluster = (req: CreateClusterRequest): Promise<Cluster> =>
    this.call(this.api.POST("/clusters", { body: req }));
  listClusters = (): Promise<Cluster[]> => this.call(this.api.GET("/clusters"));
  cluster = (name: string): Promise<Cluster> =>
    this.call(this.api.GET("/clusters/{cluster}", { params: { path: { cluster: name } } }));
  removeCluster = (name: string): Promise<void> =>
    this.call(this.api.DELETE("/clusters/{cluster}", { params: { path: { cluster: name } } }));
  nodes = (cluster: string): Promise<ClusterNode[]> =>
    this.call(this.api.GET("/clusters/{cluster}/nodes", { params: { path: { cluster } } }));
  labelNode = (
    cluster: string,
    node: string,
    set: Record<string, string>,
    remove: string[],
  ): Promise<ClusterNode> =>
    this.call(
      this.api.PATCH("/clusters/{cluster}/nodes/{node}/labels", {
        params: { path: { cluster, node } },
        body: { set, remove },
      }),
    );
  nodeAvailability = (
    cluster: string,
    node: string,
    availability: "active" | "drain" | "pause",
  ): Promise<ClusterNode> =>
    this.call(
      this.api.PUT("/clusters/{cluster}/nodes/{node}/availability", {
        params: { path: { cluster, node } },
        body: { availability },
      }),
    );
  deleteEnv = (t: string, name: string): Promise<void> =>
    this.call(
      this.api.DELETE("/tenants/{tenant}/envs/{env}", { params: { path: { tenant: t, env: name } } }),
    );
  listApps = (t: string): Promise<App[]> =>
    this.call(this.api.GET("/tenants/{tenant}/apps", { params: tenant(t) }));
  createApp = (t: string, name: string): Promise<App> =>
    this.call(this.api.POST("/tenants/{tenant}/apps", { params: tenant(t), body: { name } }));
  appInfo = (t: string, name: string): Promise<AppInfo> =>
    this.call(this.api.GET("/tenants/{tenant}/apps/{app}", { params: { path: { tenant: t, app: name } } }));
  deleteApp = (t: string, name: string): Promise<void> =>
    this.call(
      this.api.DELETE("/tenants/{tenant}/apps/{app}", { params: { path: { tenant: t, app: name } } }),
    );

  deploy = (t: string, e: string, a: string, req: DeployRequest): Promise<DeployOutcome> =>
    this.call(
      this.api.POST("/tenants/{tenant}/envs/{env}/apps/{app}/deploy", { params: app(t, e, a), body: req }),
    );
  rollback = (t: string, e: string, a: string, to?: number): Promise<DeployOutcome> =>
    this.call(
      this.api.POST("/tenants/{tenant}/envs/{env}/apps/{app}/rollback", {
        params: app(t, e, a),
        body: to === undefined ? {} : { to },
      }),
    );
  scale = (t: string, e: string, a: string, replicas: number): Promise<Deployment> =>
    this.call(
      this.api.POST("/tenants/{tenant}/envs/{env}/apps/{app}/scale", {
        params: app(t, e, a),
        body: { replicas },
      }),
    );
  deployment = (t: string, e: string, a: string): Promise<Deployment> =>
    this.call(this.api.GET("/tenants/{tenant}/envs/{env}/apps/{app}/deployment", { params: app(t, e, a) }));
  releases = (t: string, e: string, a: string): Promise<Release[]> =>
    this.call(
      this.api.GET("/tenants/{tenant}/envs/{env}/apps/{app}/releases", { params: app(t, e, a) }),
    ) as Promise<Release[]>;
  events = (t: string, e: string, a: string, after: number): Promise<DeploymentEvent[]> =>
    this.call(
      this.api.GET("/tenants/{tenant}/envs/{env}/apps/{app}/events", {
        params: { ...app(t, e, a), query: { after } },
      }),
    );
  containers = (t: string, e: string, a: string): Promise<ContainerRow[]> =>
    this.call(this.api.GET("/tenants/{tenant}/envs/{env}/apps/{app}/containers", { params: app(t, e, a) }));

  addLink = (t: string, e: string, a: string, to: LinkRequest): Promise<Link> =>
    this.call(
      this.api.POST("/tenants/{tenant}/envs/{env}/apps/{app}/links", { params: app(t, e, a), body: to }),
    );
  listLinks = (t: string, e: string, a: string): Promise<Link[]> =>
    this.call(this.api.GET("/tenants/{tenant}/envs/{env}/apps/{app}/links", { params: app(t, e, a) }));
  removeLink = (t: string, e: string, a: string, id: number): Promise<void> =>
    this.call(
      this.api.DELETE("/tenants/{tenant}/envs/{env}/apps/{app}/links/{id}", {
        params: { path: { tenant: t, env: e, app: a, id } },
      }),
    );
  startCanary = (t: string, e: string, a: string, req: CanaryStartBody): Promise<CanaryOutcome> =>
    this.call(
      this.api.POST("/tenants/{tenant}/envs/{env}/apps/{app}/canary", { params: app(t, e, a), body: req }),
    ) as Promise<CanaryOutcome>;
  canaryStatus = (t: string, e: string, a: string, window: number): Promise<CanaryStatus> =>
    this.call(
      this.api.GET("/tenants/{tenant}/envs/{env}/apps/{app}/canary", {
        params: { ...app(t, e, a), query: { window } },
      }),
    ) as Promise<CanaryStatus>;
  updateCanaryRules = (t: string, e: string, a: string, patch: CanaryRulesPatch): Promise<Canary> =>
    this.call(
      this.api.PATCH("/tenants/{tenant}/envs/{env}/apps/{app}/canary/rules", {
        params: app(t, e, a),
        body: patch,
      }),
    ) as Promise<Canary>;
  promoteCanary = (t: string, e: string, a: string): Promise<CanaryOutcome> =>
    this.call(
      this.api.POST("/tenants/{tenant}/envs/{env}/apps/{app}/canary/promote", { params: app(t, e, a) }),
    ) as Promise<CanaryOutcome>;
  abortCanary = (t: string, e: string, a: string): Promise<CanaryOutcome> =>
    this.call(
      this.api.POST("/tenants/{tenant}/envs/{env}/apps/{app}/canary/abort", { params: app(t, e, a) }),
    ) as Promise<CanaryOutcome>;
  addRoute = (t: string, e: string, a: string, req: AppRouteBody): Promise<AppRoute> =>
    this.call(
      this.api.POST("/tenants/{tenant}/envs/{env}/apps/{app}/routes", { params: app(t, e, a), body: req }),
    );
  listRoutes = (t: string, e: string, a: string): Promise<AppRoute[]> =>
    this.call(this.api.GET("/tenants/{tenant}/envs/{env}/apps/{app}/routes", { params: app(t, e, a) }));
  removeRoute = (t: string, e: string, a: string, id: number): Promise<void> =>
    this.call(
      this.api.DELETE("/tenants/{tenant}/envs/{env}/apps/{app}/routes/{id}", {
        params: { path: { tenant: t, env: e, app: a, id } },
      }),
    );
  changeConfig = (t: string, req: ConfigChangeRequest): Promise<ConfigChangeResult> =>
    this.call(this.api.PATCH("/tenants/{tenant}/config", { params: tenant(t), body: req }));
  listConfig = (t: string, q: { app?: string; env?: string; showSecrets: boolean }): Promise<ConfigListing> =>
    this.call(
      this.api.GET("/tenants/{tenant}/config", {
        params: { ...tenant(t), query: { app: q.app, env: q.env, showSecrets: flag(q.showSecrets) } },
      }),
    );
  putConfigFile = (t: string, req: ConfigFileRequest): Promise<ConfigChangeResult> =>
    this.call(this.api.PUT("/tenants/{tenant}/config/files", { params: tenant(t), body: req }));
  removeConfigFile = (t: string, req: ConfigFileRemoveRequest): Promise<ConfigChangeResult> =>
    this.call(this.api.POST("/tenants/{tenant}/config/files/remove", { params: tenant(t), body: req }));
  patchSettings = (
    t: string,
    req: { app?: string; env?: string; settings: SettingsPatch; stage?: boolean },
  ): Promise<ConfigChangeResult> =>
    this.call(this.api.PATCH("/tenants/{tenant}/settings", { params: tenant(t), body: req }));
  settings = (
    t: string,
    app: string,
    env: string,
  ): Promise<{
    settings: { name: string; value: unknown; layer: string }[];
    replicas: number;
    resources: ReleaseResources | null;
  }> =>
    this.call(
      this.api.GET("/tenants/{tenant}/settings", { params: { ...tenant(t), query: { app, env } } }),
    ) as Promise<{
      settings: { name: string; value: unknown; layer: string }[];
      replicas: number;
      resources: ReleaseResources | null;
    }>;
  configDiff = (
    t: string,
    e: string,
    a: string,
    q: { from?: number; to?: number; showSecrets: boolean },
  ): Promise<ConfigDiff> =>
    this.call(
      this.api.GET("/tenants/{tenant}/envs/{env}/apps/{app}/config/diff", {
        params: { ...app(t, e, a), query: { from: q.from, to: q.to, showSecrets: flag(q.showSecrets) } },
      }),
    );
  redeploy = (t: string, e: string, a: string): Promise<DeployOutcome> =>
    this.call(this.api.POST("/tenants/{tenant}/envs/{env}/apps/{app}/redeploy", { params: app(t, e, a) }));
  promote = (t: string, a: string, from: string, to: string): Promise<DeployOutcome> =>
    this.call(
      this.api.POST("/tenants/{tenant}/apps/{app}/promote", {
        params: { path: { tenant: t, app: a } },
        body: { from, to },
      }),
    );
  apply = (manifest: Manifest, dryRun: boolean): Promise<ApplyResult> =>
    this.call(this.api.POST("/apply", { body: { manifest, dryRun } }));
  exportManifest = (tenant: string, env?: string): Promise<Manifest> =>
    this.call(this.api.GET("/export", { params: { query: { tenant, env } } })) as Promise<Manifest>;
  rotateKey = (prune: boolean): Promise<RotateKeyResult> =>
    this.call(this.api.POST("/admin/rotate-key", { body: { prune } }));
  backup = (): Promise<Readable> => this.stream(this.api.GET("/admin/backup", { parseAs: "stream" }));
  auditExport = (q: { tenant?: string; since?: string }): Promise<Readable> =>
    this.stream(
      this.api.GET("/audit/export", { params: { query: { format: "jsonl", ...q } }, parseAs: "stream" }),
    );
  auditVerify = (head?: string): Promise<AuditVerifyReport> =>
    this.call(this.api.GET("/audit/verify", { params: { query: { head } } }));
  audit = (q: {
    tenant?: string;
    env?: string;
    actor?: string;
    object?: string;
    since?: string;
    limit?: number;
  }): Promise<AuditEntry[]> => this.call(this.api.GET("/audit", { params: { query: q } }));

  caCertificate(): Promise<string> {
    return this.call(this.api.GET("/tls/ca", { parseAs: "text" }));
  }

  logs(t: string, e: string, a: string, follow: boolean, tail: number): Promise<Readable> {
    return this.stream(
      this.api.GET("/tenants/{tenant}/envs/{env}/apps/{app}/logs", {
        params: { ...app(t, e, a), query: { follow: flag(follow), tail } },
        parseAs: "stream",
      }),
    );
  }

  /** Streams a tar context up and the build log down, one BuildLine at a time. */
  async build(t: string, a: string, context: Readable, onLine: (line: BuildLine) => void): Promise<void> {
    const { Readable } = await import("./node-stream.js");
    const body = await this.call(
      this.api.POST("/tenants/{tenant}/apps/{app}/builds", {
        params: { path: { tenant: t, app: a } },
        ...rawBody(Readable.toWeb(context) as unknown as ReadableStream<Uint8Array>, "application/x-tar"),
        parseAs: "stream",
      }),
    );
    if (body) for await (const line of jsonLines<BuildLine>(body)) onLine(line);
  }
}
