import { z } from "zod";
import type { RolloutPlan } from "../domain/canary.js";
import type { ReleaseResources } from "../domain/settings.js";
import type { TrafficRules } from "../domain/traffic-rules.js";

/**
 * The shapes JSON columns are checked against when read: structure and types, not the rules
 * input must pass. Input rules tighten over time (a health path may no longer hold `..`, a
 * CIDR form is refused), and a row an older Berth accepted must still read, or one old row would
 * stop every write of its tenant. Corrupt JSON or a wrong type still fails, with the row named.
 */
const nullish = <T extends z.ZodType>(t: T) => t.nullish();

/** Resources as stored: any field may be missing (older releases) or null; completed on read. */
export const StoredResources = z.looseObject({
  cpus: nullish(z.number()),
  memoryMb: nullish(z.number()),
  port: nullish(z.number()),
  healthCheck: nullish(z.enum(["http", "tcp", "none"])),
  healthPath: nullish(z.string()),
  healthTimeout: nullish(z.number()),
  restart: nullish(z.enum(["no", "on-failure", "always", "unless-stopped"])),
  strategy: nullish(z.enum(["rolling", "stop-first"])),
  command: nullish(z.array(z.string())),
  volumes: nullish(z.array(z.looseObject({ name: z.string(), path: z.string() }))),
  privileged: nullish(z.boolean()),
  hostNetwork: nullish(z.boolean()),
  hostPid: nullish(z.boolean()),
  capAdd: nullish(z.array(z.string())),
  devices: nullish(z.array(z.string())),
  hostMounts: nullish(
    z.array(z.looseObject({ hostPath: z.string(), path: z.string(), readOnly: z.boolean().default(false) })),
  ),
  placement: nullish(
    z.looseObject({
      constraints: nullish(z.array(z.string())),
      spread: nullish(z.string()),
      maxPerNode: nullish(z.number()),
      reserveCpus: nullish(z.number()),
      reserveMemoryMb: nullish(z.number()),
    }),
  ),
});
/** What completeResources fills in from. */
export type StoredResources = { [K in keyof ReleaseResources]?: ReleaseResources[K] | null } & {
  placement?: { [K in keyof ReleaseResources["placement"]]?: ReleaseResources["placement"][K] | null } | null;
};

const NameValue = z.looseObject({ name: z.string(), value: z.string() });
export const StoredTrafficRules = z.looseObject({
  headers: z.array(NameValue).default([]),
  cookie: NameValue.nullable().default(null),
  sourceCidrs: z.array(z.string()).default([]),
  weight: z.number().default(0),
}) as unknown as z.ZodType<TrafficRules>;

export const StoredRolloutPlan = z.looseObject({
  steps: z.array(z.number()),
  intervalSeconds: z.number(),
  maxErrorRate: z.number().optional(),
  maxP99Ms: z.number().optional(),
  minRequests: z.number().default(0),
}) as unknown as z.ZodType<RolloutPlan>;
