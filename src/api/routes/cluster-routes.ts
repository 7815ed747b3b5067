import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import {
  Cluster,
  ClusterName,
  ClusterNode,
  CreateClusterRequest,
  NodeAvailabilityRequest,
  NodeLabelRequest,
  NodeRef,
} from "../../domain/cluster.js";
import { guards } from "../guard.js";
import { errors, jsonBody, jsonResponse } from "../responses.js";
import type { ApiServices } from "../services.js";

const tags = ["clusters"];
const ClusterParams = z.object({ cluster: ClusterName.meta({ param: { name: "cluster", in: "path" } }) });
const NodeParams = ClusterParams.extend({ node: NodeRef.meta({ param: { name: "node", in: "path" } }) });

/** Clusters are the platform's: only platform admins add them or touch their nodes. */
export function registerClusterRoutes(api: OpenAPIHono, s: ApiServices): void {
  const g = guards(s.access);
  const admin = g({ permission: "platform.admin" });
  api.openapi(
    createRoute({
      method: "post",
      path: "/clusters",
      operationId: "addCluster",
      tags,
      summary: "Add a Docker Swarm manager as a cluster that environments can run on",
      ...admin,
      request: { body: jsonBody(CreateClusterRequest) },
      responses: { 201: jsonResponse(Cluster, "Added"), ...errors(400, 401, 403, 409, 413, 503) },
    }),
    async (c) => c.json(await s.clusters.add(c.req.valid("json")), 201),
  );
  api.openapi(
    createRoute({
      method: "get",
      path: "/clusters",
      operationId: "listClusters",
      tags,
      summary: "Clusters, whether each answers, and the environments on each",
      ...admin,
      responses: { 200: jsonResponse(z.array(Cluster), "Clusters"), ...errors(401, 403) },
    }),
    async (c) => c.json(await s.clusters.list(), 200),
  );
  api.openapi(
    createRoute({
      method: "get",
      path: "/clusters/{cluster}",
      operationId: "getCluster",
      tags,
      summary: "One cluster with its nodes",
      ...admin,
      request: { params: ClusterParams },
      responses: { 200: jsonResponse(Cluster, "The cluster"), ...errors(400, 401, 403, 404) },
    }),
    async (c) => c.json(await s.clusters.show(c.req.valid("param").cluster), 200),
  );
  api.openapi(
    createRoute({
      method: "delete",
      path: "/clusters/{cluster}",
      operationId: "removeCluster",
      tags,
      summary: "Forget a cluster no environment runs on",
      ...admin,
      request: { params: ClusterParams },
      responses: { 204: { description: "Removed" }, ...errors(400, 401, 403, 404, 409) },
    }),
    async (c) => {
      await s.clusters.remove(c.req.valid("param").cluster);
      return c.body(null, 204);
    },
  );
  api.openapi(
    createRoute({
      method: "get",
      path: "/clusters/{cluster}/nodes",
      operationId: "listNodes",
      tags,
      summary: "Nodes: role, state, availability, labels, CPU, memory and Berth replicas",
      ...admin,
      request: { params: ClusterParams },
      responses: { 200: jsonResponse(z.array(ClusterNode), "Nodes"), ...errors(400, 401, 403, 404, 503) },
    }),
    async (c) => c.json(await s.clusters.nodes(c.req.valid("param").cluster), 200),
  );
  api.openapi(
    createRoute({
      method: "patch",
      path: "/clusters/{cluster}/nodes/{node}/labels",
      operationId: "labelNode",
      tags,
      summary: "Set or remove node labels (what placement constraints and spread read)",
      ...admin,
      request: { params: NodeParams, body: jsonBody(NodeLabelRequest) },
      responses: { 200: jsonResponse(ClusterNode, "The node"), ...errors(400, 401, 403, 404, 413, 503) },
    }),
    async (c) => {
      const { cluster, node } = c.req.valid("param");
      const body = c.req.valid("json");
      return c.json(await s.clusters.label(cluster, node, body.set, body.remove), 200);
    },
  );
  api.openapi(
    createRoute({
      method: "put",
      path: "/clusters/{cluster}/nodes/{node}/availability",
      operationId: "setNodeAvailability",
      tags,
      summary: "Drain a node (Swarm moves its replicas away) or make it active again",
      ...admin,
      request: { params: NodeParams, body: jsonBody(NodeAvailabilityRequest) },
      responses: { 200: jsonResponse(ClusterNode, "The node"), ...errors(400, 401, 403, 404, 413, 503) },
    }),
    async (c) => {
      const { cluster, node } = c.req.valid("param");
      return c.json(await s.clusters.availability(cluster, node, c.req.valid("json").availability), 200);
    },
  );
}
