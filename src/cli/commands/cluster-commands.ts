import { type Command, InvalidArgumentError } from "commander";
import type { ClusterNode } from "../../domain/cluster.js";
import { clientFromConfig } from "../client-from-config.js";
import { ago, printJson, printTable } from "../output.js";
import { readLocalFile } from "../read-local-file.js";

const out = (line: string) => process.stdout.write(`${line}\n`);

/** KEY=VALUE sets a label, KEY- removes it (as kubectl label does). */
function parseLabels(args: string[]): { set: Record<string, string>; remove: string[] } {
  const set: Record<string, string> = {};
  const remove: string[] = [];
  for (const arg of args) {
    if (arg.endsWith("-") && !arg.includes("=")) remove.push(arg.slice(0, -1));
    else {
      const i = arg.indexOf("=");
      if (i <= 0) throw new InvalidArgumentError(`'${arg}' is not KEY=VALUE (or KEY- to remove)`);
      set[arg.slice(0, i)] = arg.slice(i + 1);
    }
  }
  return { set, remove };
}

const labelText = (labels: Record<string, string>) =>
  Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");

function printNodes(nodes: ClusterNode[]): void {
  printTable(
    ["ID", "HOSTNAME", "ROLE", "STATE", "AVAILABILITY", "ADDRESS", "LABELS", "CPUS", "MEMORY", "TASKS"],
    nodes.map((n) => [
      n.id.slice(0, 12),
      n.hostname,
      n.leader ? "manager*" : n.role,
      n.state,
      n.availability,
      n.address,
      labelText(n.labels) || "-",
      n.cpus,
      `${n.memoryMb}M`,
      n.tasks,
    ]),
  );
}

export function registerClusterCommands(program: Command): void {
  const cluster = program
    .command("cluster")
    .description("Docker Swarm clusters that environments can run on (platform admins)");
  cluster
    .command("add <name>")
    .description("add a Swarm manager; environments created with --cluster NAME then run there")
    .requiredOption("--docker-host <url>", "the manager's Engine API: unix:///path.sock or tcp://HOST:2376")
    .option("--tls-ca <file>", "CA certificate that signed the manager's (PEM)")
    .option("--tls-cert <file>", "client certificate (PEM)")
    .option("--tls-key <file>", "client key (PEM); stored encrypted")
    .action(
      async (
        name: string,
        opts: { dockerHost: string; tlsCa?: string; tlsCert?: string; tlsKey?: string },
      ) => {
        const c = await clientFromConfig().addCluster({
          name,
          dockerHost: opts.dockerHost,
          ...(opts.tlsCa ? { tlsCa: readLocalFile(opts.tlsCa) } : {}),
          ...(opts.tlsCert ? { tlsCert: readLocalFile(opts.tlsCert) } : {}),
          ...(opts.tlsKey ? { tlsKey: readLocalFile(opts.tlsKey) } : {}),
        });
        out(`Added cluster ${c.name}: ${c.info?.nodes ?? 0} node(s), ${c.info?.managers ?? 0} manager(s)`);
      },
    );
  cluster
    .command("list")
    .option("--json", "print the API's JSON")
    .action(async (opts: { json?: boolean }) => {
      const clusters = await clientFromConfig().listClusters();
      if (opts.json) return printJson(clusters);
      printTable(
        ["NAME", "DOCKER HOST", "NODES", "MANAGERS", "STATUS", "ENVIRONMENTS", "ADDED"],
        clusters.map((c) => [
          c.name,
          c.dockerHost,
          c.info?.nodes ?? "-",
          c.info?.managers ?? "-",
          c.error ? `unavailable: ${c.error}` : "ok",
          c.environments.join(",") || "-",
          ago(c.createdAt),
        ]),
      );
    });
  cluster
    .command("info <name>")
    .option("--json", "print the API's JSON")
    .action(async (name: string, opts: { json?: boolean }) => {
      const c = await clientFromConfig().cluster(name);
      if (opts.json) return printJson(c);
      out(`Cluster ${c.name} at ${c.dockerHost}${c.tls ? " (TLS)" : ""}`);
      out(c.error ? `Status: unavailable: ${c.error}` : `Status: ok, Docker ${c.info?.engineVersion}`);
      out(`Environments: ${c.environments.join(", ") || "none"}`);
      if (c.nodes) printNodes(c.nodes);
    });
  cluster
    .command("remove <name>")
    .description("forget a cluster that no environment runs on (nothing on it is touched)")
    .action(async (name: string) => {
      await clientFromConfig().removeCluster(name);
      out(`Removed cluster ${name}`);
    });

  const node = program.command("node").description("the nodes of a cluster");
  node
    .command("list")
    .requiredOption("--cluster <name>", "cluster")
    .option("--json", "print the API's JSON")
    .action(async (opts: { cluster: string; json?: boolean }) => {
      const nodes = await clientFromConfig().nodes(opts.cluster);
      if (opts.json) return printJson(nodes);
      printNodes(nodes);
    });
  node
    .command("label <node> <labels...>")
    .description("set labels (KEY=VALUE) or remove them (KEY-), e.g. cloud=public region=shenzhen")
    .requiredOption("--cluster <name>", "cluster")
    .action(async (ref: string, labels: string[], opts: { cluster: string }) => {
      const { set, remove } = parseLabels(labels);
      const n = await clientFromConfig().labelNode(opts.cluster, ref, set, remove);
      out(`Node ${n.hostname}: ${labelText(n.labels) || "no labels"}`);
    });
  for (const [verb, availability, what] of [
    ["drain", "drain", "Swarm moves its replicas to other nodes"],
    ["activate", "active", "it takes replicas again"],
  ] as const)
    node
      .command(`${verb} <node>`)
      .description(`set a node's availability to ${availability}: ${what}`)
      .requiredOption("--cluster <name>", "cluster")
      .action(async (ref: string, opts: { cluster: string }) => {
        const n = await clientFromConfig().nodeAvailability(opts.cluster, ref, availability);
        out(`Node ${n.hostname} is ${n.availability}`);
      });
}
