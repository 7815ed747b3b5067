import type Docker from "dockerode";
import { ignoreStatus } from "../docker/status-code.js";

/** Which service a secret was made for, so removing the service removes its secrets too. */
export const SERVICE_LABEL = "berth.service";

/**
 * A release's files reach nodes as Swarm secrets: encrypted in the managers' log and mounted
 * read-only at their paths. Names are per release and file, so an existing one is reused.
 */
export async function ensureSecret(
  docker: Docker,
  name: string,
  content: string,
  labels: Record<string, string>,
): Promise<string> {
  const existing = (await docker.listSecrets({ filters: { name: [name] } })) as {
    ID: string;
    Spec?: { Name?: string };
  }[];
  const hit = existing.find((s) => s.Spec?.Name === name);
  if (hit) return hit.ID;
  const made = (await docker.createSecret({
    Name: name,
    Labels: labels,
    Data: Buffer.from(content).toString("base64"),
  })) as { id?: string; ID?: string };
  return (made.id ?? made.ID) as string;
}

export async function removeSecrets(docker: Docker, service: string): Promise<void> {
  const secrets = (await docker.listSecrets({ filters: { label: [`${SERVICE_LABEL}=${service}`] } })) as {
    ID: string;
  }[];
  // A secret stays in use until the service's last task is gone; the next removal retries it.
  for (const s of secrets)
    await ignoreStatus(docker.getSecret(s.ID).remove(), 404, 400, 409, 500).catch(() => undefined);
}
