import { z } from "zod";

/** Node label keys and values as Swarm stores them; an allow-list, so no value can carry syntax. */
export const LABEL_KEY = /^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$/;
export const LABEL_VALUE = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;

export const NodeLabelKey = z
  .string()
  .regex(LABEL_KEY, "a node label key is 1-63 lower-case letters, digits, '.', '_' or '-'")
  .meta({ description: "Node label key", example: "zone" });
export const NodeLabelValue = z
  .string()
  .regex(LABEL_VALUE, "a node label value is 1-63 letters, digits, '.', '_' or '-'")
  .meta({ description: "Node label value", example: "shenzhen" });

/**
 * `KEY==VALUE` or `KEY!=VALUE` on a node label, or on the node's `node.role` / `node.hostname`.
 * Berth's own spelling: `region==shenzhen` means the node label region.
 */
const CONSTRAINT =
  /^(node\.role|node\.hostname|[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?)(==|!=)([A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)$/;
export const PlacementConstraint = z
  .string()
  .max(140)
  .regex(
    CONSTRAINT,
    "a constraint is LABEL==VALUE or LABEL!=VALUE (or node.role / node.hostname), e.g. region==shenzhen",
  )
  .meta({ description: "A rule on node labels every replica must satisfy", example: "region==shenzhen" });

export interface ParsedConstraint {
  /** A node label key, or the node attribute `node.role` / `node.hostname`. */
  subject: string;
  label: boolean;
  equal: boolean;
  value: string;
}

export function parseConstraint(text: string): ParsedConstraint {
  const m = CONSTRAINT.exec(text);
  if (!m) throw new Error(`not a placement constraint: ${text}`);
  const subject = m[1] as string;
  return { subject, label: !subject.startsWith("node."), equal: m[3] === "==", value: m[4] as string };
}

/** Where a release's replicas may go, after every layer is merged. */
export const Placement = z
  .object({
    constraints: z.array(PlacementConstraint).meta({ description: "Every layer's constraints, all applied" }),
    spread: NodeLabelKey.nullable().meta({ description: "Spread replicas evenly over this node label" }),
    maxPerNode: z.number().int().nullable().meta({ description: "At most this many replicas per node" }),
    reserveCpus: z.number().nullable().meta({ description: "CPU cores reserved on the node per replica" }),
    reserveMemoryMb: z
      .number()
      .int()
      .nullable()
      .meta({ description: "MiB reserved on the node per replica" }),
  })
  .meta({ id: "Placement" });
export type Placement = z.infer<typeof Placement>;

export const NO_PLACEMENT: Placement = {
  constraints: [],
  spread: null,
  maxPerNode: null,
  reserveCpus: null,
  reserveMemoryMb: null,
};

/** Does a node with these attributes satisfy every constraint? (Burst uses it to count room.) */
export function satisfies(
  node: { role: string; hostname: string; labels: Record<string, string> },
  constraints: readonly string[],
): boolean {
  return constraints.every((text) => {
    const c = parseConstraint(text);
    const actual = c.label ? node.labels[c.subject] : c.subject === "node.role" ? node.role : node.hostname;
    return c.equal ? actual === c.value : actual !== c.value;
  });
}
