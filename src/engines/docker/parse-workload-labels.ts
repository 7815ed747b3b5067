import { LABEL, type WorkloadIdentity } from "../../domain/labels.js";

export interface ParsedWorkloadLabels {
  identity: WorkloadIdentity;
  release: number;
  slot: number;
}

const COUNTER = /^\d+$/;

/** Labels may have been edited by hand or written by an older Berth, so nothing is assumed. */
export function parseWorkloadLabels(
  labels: Record<string, string> | null | undefined,
): ParsedWorkloadLabels | undefined {
  if (labels?.[LABEL.managed] !== "true") return undefined;
  const identity = parseIdentityLabels(labels);
  const release = labels[LABEL.release];
  const slot = labels[LABEL.slot];
  if (!identity || !release || !slot || !COUNTER.test(release) || !COUNTER.test(slot)) return undefined;
  return { identity, release: Number(release), slot: Number(slot) };
}

/** Events carry labels among other attributes (name, image, exitCode), all as strings. */
export function parseIdentityLabels(
  labels: Record<string, string | undefined> | null | undefined,
): WorkloadIdentity | undefined {
  const tenant = labels?.[LABEL.tenant];
  const env = labels?.[LABEL.env];
  const app = labels?.[LABEL.app];
  if (!tenant || !env || !app) return undefined;
  return { tenant, env, app };
}
