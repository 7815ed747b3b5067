import { z } from "zod";
import { EnvName } from "./dns-label.js";

/** What a tenant (or one of its environments) may hold at once; null: no limit. */
export const QuotaLimits = z
  .object({
    cpus: z.number().nullable().meta({ description: "CPU cores, summed over every container's limit" }),
    memoryMb: z.number().int().nullable().meta({ description: "MiB, summed over every container's limit" }),
    replicas: z.number().int().nullable().meta({ description: "Containers, canaries included" }),
    apps: z.number().int().nullable().meta({ description: "Apps (in an environment: apps deployed there)" }),
  })
  .meta({ id: "QuotaLimits" });
export type QuotaLimits = z.infer<typeof QuotaLimits>;

export const QuotaRequest = z
  .strictObject({
    env: EnvName.optional().meta({
      description: "One environment (its owner's share); omit for the whole tenant (platform admins)",
    }),
    cpus: z.number().min(0).max(100_000).nullable().optional(),
    memoryMb: z.number().int().min(0).max(1_000_000_000).nullable().optional(),
    replicas: z.number().int().min(0).max(1_000_000).nullable().optional(),
    apps: z.number().int().min(0).max(1_000_000).nullable().optional(),
  })
  .meta({ id: "QuotaRequest", description: "Limits to set; null removes one, an absent field keeps it" });
export type QuotaRequest = z.infer<typeof QuotaRequest>;

/** What is in use, from desired state: every deployment's replicas times its release's limits. */
export const QuotaUsage = z
  .object({
    cpus: z.number(),
    memoryMb: z.number().int(),
    replicas: z.number().int(),
    apps: z.number().int(),
    noCpuLimit: z.array(z.string()).meta({ description: "app/env deployments without a CPU limit" }),
    noMemoryLimit: z.array(z.string()).meta({ description: "app/env deployments without a memory limit" }),
  })
  .meta({ id: "QuotaUsage" });
export type QuotaUsage = z.infer<typeof QuotaUsage>;

export const QuotaScope = z
  .object({ env: EnvName.nullable(), limits: QuotaLimits, usage: QuotaUsage })
  .meta({ id: "QuotaScope" });
export type QuotaScope = z.infer<typeof QuotaScope>;

export const QuotaReport = z
  .object({ tenant: z.string(), scopes: z.array(QuotaScope).meta({ description: "The tenant first" }) })
  .meta({ id: "QuotaReport" });
export type QuotaReport = z.infer<typeof QuotaReport>;

const round = (n: number) => `${Math.round(n * 1000) / 1000}`;
const DIMENSIONS = {
  cpus: (n: number) => `${round(n)} CPU${n === 1 ? "" : "s"}`,
  memoryMb: (n: number) => `${n} MiB of memory`,
  replicas: (n: number) => `${n} replica${n === 1 ? "" : "s"}`,
  apps: (n: number) => `${n} app${n === 1 ? "" : "s"}`,
} as const;

/**
 * Why a change would break a quota, or null. Only growth is refused: a change that keeps or
 * lowers use is allowed even above a limit someone lowered, so a tenant can always scale down.
 * With a CPU or memory limit, every container needs its own limit of that kind, or the sum
 * would mean nothing.
 */
export function quotaProblem(
  scope: string,
  limits: QuotaLimits,
  before: QuotaUsage,
  after: QuotaUsage,
): string | null {
  for (const key of Object.keys(DIMENSIONS) as (keyof typeof DIMENSIONS)[]) {
    const limit = limits[key];
    if (limit === null) continue;
    const amount = DIMENSIONS[key];
    if (key === "cpus" || key === "memoryMb") {
      const list = key === "cpus" ? "noCpuLimit" : "noMemoryLimit";
      const first = after[list].find((d) => !before[list].includes(d));
      if (first) {
        const [app, env] = first.split("/");
        const what = key === "cpus" ? "CPU" : "memory";
        const flag = key === "cpus" ? "--cpus 0.5" : "--memory 256m";
        return `${scope} has a ${what} quota (${amount(limit)}), so every app there needs a ${what} limit; ${app} in ${env} has none: set one with 'berth resources set ${app} --env ${env} ${flag}'`;
      }
    }
    if (after[key] > limit && after[key] > before[key])
      return `quota exceeded: ${scope} allows ${amount(limit)}; ${amount(before[key])} in use now, and this change would make it ${amount(after[key])}`;
  }
  return null;
}
