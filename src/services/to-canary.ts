import type { Canary, CanaryMode, CanaryPhase, RolloutPlan } from "../domain/canary.js";
import type { TrafficRules } from "../domain/traffic-rules.js";
import type { CanaryRow } from "../store/canary-repository.js";

export const rulesOf = (row: CanaryRow): TrafficRules => JSON.parse(row.rules) as TrafficRules;
export const rolloutOf = (row: CanaryRow): RolloutPlan | null =>
  row.rollout === null ? null : (JSON.parse(row.rollout) as RolloutPlan);

export function toCanary(row: CanaryRow): Canary {
  const rollout = rolloutOf(row);
  return {
    id: row.id,
    mode: row.mode as CanaryMode,
    phase: row.phase as CanaryPhase,
    release: row.release,
    stableRelease: row.stable_release,
    replicas: row.replicas,
    rules: rulesOf(row),
    rollout: rollout ? { ...rollout, stepIndex: row.step_index, stepStartedAt: row.step_started_at } : null,
    message: row.message,
    startedAt: row.started_at,
    updatedAt: row.updated_at,
  };
}
