import type { RolloutPlan } from "../domain/canary.js";
import type { TrafficWindow } from "./ports.js";

export type GateVerdict = { pass: true; summary: string } | { pass: false; reason: string };

const pct = (rate: number) => `${(rate * 100).toFixed(2).replace(/\.?0+$/, "")}%`;

/** Pure: does one step's canary traffic pass the rollout's gates? Says why in words either way. */
export function judgeStep(plan: RolloutPlan, w: TrafficWindow, seconds: number): GateVerdict {
  const seen = `${w.requests} requests in ${seconds}s, 5xx ${pct(w.errorRate)}, p99 ${w.p99Ms === null ? "n/a" : `${Math.round(w.p99Ms)}ms`}`;
  if (w.requests < plan.minRequests)
    return {
      pass: false,
      reason: `only ${w.requests} canary requests in ${seconds}s, fewer than the ${plan.minRequests} required`,
    };
  if (plan.maxErrorRate !== undefined && w.requests > 0 && w.errorRate * 100 > plan.maxErrorRate)
    return { pass: false, reason: `5xx rate ${pct(w.errorRate)} > ${plan.maxErrorRate}% (${seen})` };
  if (plan.maxP99Ms !== undefined && w.p99Ms !== null && w.p99Ms > plan.maxP99Ms)
    return { pass: false, reason: `p99 ${Math.round(w.p99Ms)}ms > ${plan.maxP99Ms}ms (${seen})` };
  return { pass: true, summary: seen };
}
