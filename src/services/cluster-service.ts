import type { Cluster, ClusterInfo, ClusterNode, CreateClusterRequest } from "../domain/cluster.js";
import { DomainError } from "../domain/domain-error.js";
import type { ClusterRow } from "../store/cluster-repository.js";
import type { Store } from "../store/store.js";
import { NO_AUDIT, WritePath } from "./write-path.js";

/** A connected cluster, as services need it (main.ts passes the Swarm engine). */
export interface ClusterHandle {
  readonly cluster: string;
  ping(): Promise<void>;
  assertWritable(): Promise<void>;
  info(): Promise<ClusterInfo>;
  nodes(): Promise<ClusterNode[]>;
  labelNode(node: string, set: Record<string, string>, remove: string[]): Promise<ClusterNode>;
  setAvailability(node: string, availability: "active" | "drain" | "pause"): Promise<ClusterNode>;
}

/** Makes, keeps and forgets connections; the engine router sends each environment's work there. */
export interface ClusterConnections {
  connect(row: ClusterRow): ClusterHandle;
  attach(handle: ClusterHandle): void;
  detach(name: string): void;
  cluster(name: string): ClusterHandle;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Registers Swarm managers and manages their nodes' labels and availability (platform admins). */
export class ClusterService {
  constructor(
    private readonly store: Store,
    private readonly connections: ClusterConnections,
    /** Nodes pull images from here; without it no cluster can run Berth's images. */
    private readonly registry: string | null,
    private readonly writes: WritePath = new WritePath(store, NO_AUDIT),
  ) {}

  /** Connects every stored cluster at start; one that does not answer is attached anyway and retried by use. */
  async connectAll(): Promise<void> {
    for (const row of await this.store.clusters.list())
      this.connections.attach(this.connections.connect(this.store.clusters.open(row)));
  }

  async add(req: CreateClusterRequest): Promise<Cluster> {
    if (this.registry === null)
      throw new DomainError(
        "invalid",
        "clusters pull images from Berth's built-in registry: start the server with --registry HOST:PORT (an address the nodes reach this host at)",
      );
    if (await this.store.clusters.find(req.name))
      throw new DomainError("conflict", `cluster '${req.name}' already exists`, "name");
    const row: Omit<ClusterRow, "id" | "created_at"> = {
      name: req.name,
      docker_host: req.dockerHost,
      tls_ca: req.tlsCa ?? null,
      tls_cert: req.tlsCert ?? null,
      tls_key: req.tlsKey ?? null,
    };
    const handle = this.connections.connect({ ...row, id: 0, created_at: "" });
    // Nothing is stored unless it answers as a Swarm manager.
    try {
      await handle.ping();
    } catch (error) {
      const code = error instanceof DomainError && error.code === "unavailable" ? "unavailable" : "invalid";
      throw new DomainError(code, `cannot add cluster ${req.name}: ${message(error)}`, "dockerHost");
    }
    const op = {
      object: { kind: "cluster", name: req.name },
      change: { dockerHost: req.dockerHost, tls: req.tlsCert !== undefined },
    } as const;
    const stored = await this.writes.run(op, (tx) => tx.clusters.create(row));
    this.connections.attach(handle);
    return this.view(stored, true);
  }

  async list(): Promise<Cluster[]> {
    return Promise.all((await this.store.clusters.list()).map((row) => this.view(row, false)));
  }

  async show(name: string): Promise<Cluster> {
    return this.view(await this.#find(name), true);
  }

  async remove(name: string): Promise<void> {
    const row = await this.#find(name);
    this.writes.describe({ object: { kind: "cluster", name }, change: { removed: true } });
    const envs = await this.store.clusters.environmentsOn(row.id);
    if (envs.length > 0)
      throw new DomainError(
        "conflict",
        `cluster '${name}' still runs ${envs.map((e) => `${e.tenant}/${e.env}`).join(", ")}; delete those environments first`,
      );
    await this.writes.run({ object: { kind: "cluster", name }, change: { removed: true } }, (tx) =>
      tx.clusters.delete(row.id),
    );
    this.connections.detach(name);
  }

  async nodes(name: string): Promise<ClusterNode[]> {
    await this.#find(name);
    return this.connections.cluster(name).nodes();
  }

  async label(
    name: string,
    node: string,
    set: Record<string, string>,
    remove: string[],
  ): Promise<ClusterNode> {
    this.writes.describe({ object: { kind: "node", name: node }, change: { cluster: name, ...set, remove } });
    await this.#find(name);
    const handle = this.connections.cluster(name);
    await handle.assertWritable();
    return handle.labelNode(node, set, remove);
  }

  async availability(
    name: string,
    node: string,
    availability: "active" | "drain" | "pause",
  ): Promise<ClusterNode> {
    this.writes.describe({ object: { kind: "node", name: node }, change: { cluster: name, availability } });
    await this.#find(name);
    const handle = this.connections.cluster(name);
    await handle.assertWritable();
    return handle.setAvailability(node, availability);
  }

  async #find(name: string): Promise<ClusterRow> {
    const row = await this.store.clusters.find(name);
    if (!row)
      throw new DomainError("not_found", `cluster '${name}' not found (see 'berth cluster list')`, "cluster");
    return row;
  }

  private async view(row: ClusterRow, withNodes: boolean): Promise<Cluster> {
    const envs = await this.store.clusters.environmentsOn(row.id);
    let info: ClusterInfo | null = null;
    let nodes: ClusterNode[] | undefined;
    let error: string | null = null;
    try {
      const handle = this.connections.cluster(row.name);
      info = await handle.info();
      await handle.assertWritable();
      if (withNodes) nodes = await handle.nodes();
    } catch (e) {
      error = message(e);
    }
    return {
      name: row.name,
      dockerHost: row.docker_host,
      tls: row.tls_cert !== null,
      createdAt: row.created_at,
      environments: envs.map((e) => `${e.tenant}/${e.env}`),
      reachable: info !== null,
      error,
      info,
      ...(nodes ? { nodes } : {}),
    };
  }
}
