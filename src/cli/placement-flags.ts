import type { Command } from "commander";
import { parseIntOption } from "./parse-int.js";
import { collect, parseCpus, parseMemoryMb } from "./parse-units.js";

export interface PlacementFlags {
  constraint?: string[];
  spread?: string;
  maxPerNode?: number;
  reserveCpu?: number;
  reserveMemory?: number;
}

/** Where replicas may run on a cluster; the same flags on `deploy` and `resources set`. */
export function placementOptions(cmd: Command): Command {
  return cmd
    .option(
      "--constraint <rule>",
      "only on nodes where LABEL==VALUE or LABEL!=VALUE, e.g. region==shenzhen (repeatable; replaces this layer's list)",
      collect,
    )
    .option("--spread <label>", "spread replicas evenly over the values of a node label, e.g. zone")
    .option("--max-per-node <n>", "at most N replicas on one node (anti-affinity)", parseIntOption(1, 100))
    .option("--reserve-cpu <n>", "CPU cores each replica reserves on its node, e.g. 0.5", parseCpus)
    .option("--reserve-memory <size>", "memory each replica reserves on its node, e.g. 256m", parseMemoryMb);
}

export function placementFrom(o: PlacementFlags): Record<string, unknown> {
  const s: Record<string, unknown> = {
    constraints: o.constraint,
    spread: o.spread,
    maxPerNode: o.maxPerNode,
    reserveCpus: o.reserveCpu,
    reserveMemoryMb: o.reserveMemory,
  };
  return Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined));
}
