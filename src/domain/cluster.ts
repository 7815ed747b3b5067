import { z } from "zod";
import { dnsLabel } from "./dns-label.js";
import { NodeLabelKey, NodeLabelValue } from "./placement.js";

export const ClusterName = dnsLabel("cluster");

/** Where a Swarm manager's Engine API answers: a unix socket path or tcp://HOST:PORT. */
export const DockerHost = z
  .string()
  .max(300)
  .regex(
    /^(unix:\/\/\/[A-Za-z0-9._/-]+|tcp:\/\/([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*|\d{1,3}(\.\d{1,3}){3}):\d{1,5})$/,
    "--docker-host must be unix:///path/to.sock or tcp://HOST:PORT",
  )
  .refine((h) => !h.split("/").includes(".."), "--docker-host cannot contain '..'")
  .meta({ description: "The Swarm manager's Engine API", example: "tcp://10.0.0.5:2376" });

const Pem = (what: string) =>
  z
    .string()
    .max(32_768)
    .regex(
      /^-----BEGIN [A-Z ]+-----\r?\n[A-Za-z0-9+/=\r\n]+-----END [A-Z ]+-----\r?\n?$/,
      `${what} must be one PEM block`,
    );

export const CreateClusterRequest = z
  .strictObject({
    name: ClusterName,
    dockerHost: DockerHost,
    tlsCa: Pem("tlsCa").optional(),
    tlsCert: Pem("tlsCert").optional(),
    tlsKey: Pem("tlsKey").optional(),
  })
  .refine((r) => (r.tlsCert === undefined) === (r.tlsKey === undefined), {
    message: "give --tls-cert and --tls-key together",
    path: ["tlsKey"],
  })
  .meta({ id: "CreateClusterRequest" });
export type CreateClusterRequest = z.infer<typeof CreateClusterRequest>;

export const ClusterNode = z
  .object({
    id: z.string(),
    hostname: z.string(),
    role: z.enum(["manager", "worker"]),
    state: z.string().meta({ description: "ready, down, unknown or disconnected" }),
    availability: z.string().meta({ description: "active, pause or drain" }),
    address: z.string(),
    leader: z.boolean(),
    labels: z.record(z.string(), z.string()),
    cpus: z.number(),
    memoryMb: z.number().int(),
    tasks: z.number().int().meta({ description: "Berth replicas running there" }),
  })
  .meta({ id: "ClusterNode" });
export type ClusterNode = z.infer<typeof ClusterNode>;

export const ClusterInfo = z.object({
  swarmId: z.string(),
  managers: z.number().int(),
  nodes: z.number().int(),
  engineVersion: z.string(),
});
export type ClusterInfo = z.infer<typeof ClusterInfo>;

export const Cluster = z
  .object({
    name: ClusterName,
    dockerHost: z.string(),
    tls: z.boolean(),
    createdAt: z.string(),
    environments: z.array(z.string()).meta({ description: "TENANT/ENV that run on it" }),
    reachable: z.boolean(),
    error: z.string().nullable().meta({ description: "Why it cannot be reached or changed now" }),
    info: ClusterInfo.nullable(),
    nodes: z.array(ClusterNode).optional(),
  })
  .meta({ id: "Cluster" });
export type Cluster = z.infer<typeof Cluster>;

export const NodeLabelRequest = z
  .strictObject({
    set: z.record(NodeLabelKey, NodeLabelValue).default({}),
    remove: z.array(NodeLabelKey).max(64).default([]),
  })
  .refine((r) => Object.keys(r.set).length + r.remove.length > 0, "give labels to set or remove")
  .meta({ id: "NodeLabelRequest" });

export const NodeAvailabilityRequest = z
  .strictObject({ availability: z.enum(["active", "drain", "pause"]) })
  .meta({ id: "NodeAvailabilityRequest" });

/** A node named in a path: its Swarm ID or hostname. */
export const NodeRef = z
  .string()
  .regex(/^[A-Za-z0-9]([A-Za-z0-9._-]{0,62})$/, "a node is its ID or hostname")
  .meta({ description: "Node ID or hostname", example: "tb2" });
