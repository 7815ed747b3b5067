import type { Canary, CanaryMode, CanaryPhase } from "../domain/canary.js";
import type { CanaryRow } from "../store/canary-repository.js";

export function toCanary(row: CanaryRow): Canary {
  const rollout = row.rollout;
  return {
    id: row.id,
    mode: row.mode as CanaryMode,
    phase: row.phase as CanaryPhase,
    release: row.release,
    stableRelease: row.stable_release,
    replicas: row.replicas,
    rules: row.rules,
    rollout: rollout ? { ...rollout, stepIndex: row.step_index, stepStartedAt: row.step_started_at } : null,
    message: row.message,
    startedAt: row.started_at,
    updatedAt: row.updated_at,
  };
}
