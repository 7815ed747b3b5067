import { z } from "zod";
import { Cidr } from "./cidr.js";
import { ImageRef } from "./image-ref.js";
import { HealthPath, HealthTimeout, Port } from "./runtime-spec.js";
import { CookieRule, HeaderRule, TrafficRuleKind, TrafficRules, Weight } from "./traffic-rules.js";

export const CanaryMode = z
  .enum(["canary", "blue-green"])
  .meta({ description: "canary: rules pick who sees it; blue-green: all or nothing, switchable" });
export type CanaryMode = z.infer<typeof CanaryMode>;

/** starting: containers not all healthy yet (no traffic). running: rules live. promoting: becoming stable. */
export const CanaryPhase = z.enum(["starting", "running", "promoting", "promoted", "aborted", "failed"]);
export type CanaryPhase = z.infer<typeof CanaryPhase>;
export const ACTIVE_CANARY_PHASES: readonly CanaryPhase[] = ["starting", "running", "promoting"];

const Percent = z.number().min(0).max(100);

/** A staged rollout: weight goes through `steps`, each held for `intervalSeconds` while gates pass. */
export const RolloutPlan = z
  .strictObject({
    steps: z
      .array(z.number().int().min(1).max(100))
      .min(1)
      .max(20)
      .refine((s) => s.every((v, i) => i === 0 || v > (s[i - 1] as number)), {
        error: "steps must be increasing percentages, e.g. 5,25,50,100",
      }),
    intervalSeconds: z.number().int().min(5).max(86_400),
    maxErrorRate: Percent.optional().meta({ description: "Highest 5xx share of canary requests, in %" }),
    maxP99Ms: z.number().int().min(1).max(600_000).optional(),
    minRequests: z
      .number()
      .int()
      .min(0)
      .max(1_000_000)
      .default(0)
      .meta({ description: "Fewer canary requests in a step than this fails the gate" }),
  })
  .meta({ id: "RolloutPlan" });
export type RolloutPlan = z.infer<typeof RolloutPlan>;

export const RolloutState = RolloutPlan.extend({
  stepIndex: z.number().int().min(0),
  stepStartedAt: z.string().nullable(),
}).meta({ id: "RolloutState" });
export type RolloutState = z.infer<typeof RolloutState>;

export const CanaryStartRequest = z
  .strictObject({
    release: z.number().int().min(1).optional().meta({ description: "An existing release to canary" }),
    image: ImageRef.optional(),
    port: Port.optional(),
    healthPath: HealthPath.optional(),
    healthTimeout: HealthTimeout.optional(),
    replicas: z.number().int().min(1).max(100).optional().meta({ description: "Default: the stable's" }),
    mode: CanaryMode.default("canary"),
    rules: TrafficRules.default({ headers: [], cookie: null, sourceCidrs: [], weight: 0 }),
    rollout: RolloutPlan.optional(),
  })
  .refine((r) => (r.release === undefined) !== (r.image === undefined), {
    error: "give exactly one of release or image",
    path: ["release"],
  })
  .meta({ id: "CanaryStartRequest" });
export type CanaryStartRequest = z.infer<typeof CanaryStartRequest>;

/** Changes only the fields given; a staged rollout's weight is Berth's to move, so weight then refuses. */
export const CanaryRulesPatch = z
  .strictObject({
    headers: z.array(HeaderRule).max(16).optional(),
    cookie: CookieRule.nullable().optional(),
    sourceCidrs: z.array(Cidr).max(512).optional(),
    weight: Weight.optional(),
  })
  .meta({ id: "CanaryRulesPatch" });
export type CanaryRulesPatch = z.infer<typeof CanaryRulesPatch>;

export const Canary = z
  .object({
    id: z.number().int(),
    mode: CanaryMode,
    phase: CanaryPhase,
    release: z.number().int(),
    stableRelease: z.number().int(),
    replicas: z.number().int(),
    rules: TrafficRules,
    rollout: RolloutState.nullable(),
    message: z.string(),
    startedAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: "Canary" });
export type Canary = z.infer<typeof Canary>;

export const ReleaseTraffic = z
  .object({
    release: z.number().int(),
    role: z.enum(["stable", "canary"]),
    requests: z.number().int(),
    rps: z.number(),
    errorRate: z.number().meta({ description: "5xx share of requests, 0..1" }),
    p50Ms: z.number().nullable(),
    p99Ms: z.number().nullable(),
    byRule: z.record(TrafficRuleKind, z.number().int()),
  })
  .meta({ id: "ReleaseTraffic" });
export type ReleaseTraffic = z.infer<typeof ReleaseTraffic>;

export const CanaryStatus = z
  .object({
    canary: Canary.nullable().meta({ description: "The active canary, else the last one" }),
    windowSeconds: z.number().int(),
    traffic: z.array(ReleaseTraffic),
  })
  .meta({ id: "CanaryStatus" });
export type CanaryStatus = z.infer<typeof CanaryStatus>;
