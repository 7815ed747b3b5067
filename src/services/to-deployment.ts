import { appUrl } from "../domain/app-host.js";
import type { Deployment, DeploymentPhase } from "../domain/deployment.js";
import type { WorkloadIdentity } from "../domain/labels.js";
import type { DeploymentRow } from "../store/deployment-repository.js";
import type { RoutingSettings } from "./ports.js";

export function toDeployment(id: WorkloadIdentity, row: DeploymentRow, routing: RoutingSettings): Deployment {
  return {
    release: row.release,
    replicas: row.replicas,
    servingRelease: row.serving_release,
    phase: row.phase as DeploymentPhase,
    message: row.message,
    requestedRelease: row.requested_release,
    observedRelease: row.observed_release,
    readyReplicas: row.ready_replicas,
    totalReplicas: row.total_replicas,
    lastFailure:
      row.failed_release === null
        ? null
        : {
            release: row.failed_release,
            reason: row.failure_reason ?? "",
            at: row.failed_at ?? row.updated_at,
          },
    url: appUrl(id, routing.domain, routing.routerPort),
    updatedAt: row.updated_at,
  };
}
