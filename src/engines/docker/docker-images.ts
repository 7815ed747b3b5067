import type Docker from "dockerode";
import { DomainError } from "../../domain/domain-error.js";
import { LABEL } from "../../domain/labels.js";
import type { ImageInfo } from "../engine.js";
import { ignoreStatus } from "./status-code.js";

/** An image's ID, its exposed TCP ports, and whose build made it; null when it is not on the host. */
export async function inspectImage(docker: Docker, ref: string): Promise<ImageInfo | null> {
  const info = await ignoreStatus(docker.getImage(ref).inspect(), 404);
  if (!info) return null;
  const ports = Object.keys(info.Config?.ExposedPorts ?? {})
    .map((key) => key.match(/^(\d+)\/tcp$/)?.[1])
    .filter((port): port is string => port !== undefined)
    .map(Number);
  return {
    id: info.Id,
    exposedPorts: [...new Set(ports)].sort((a, b) => a - b),
    tenant: info.Config?.Labels?.[LABEL.tenant] ?? null,
  };
}

/** Follows Parent links, which the classic builder records for every local image built on another. */
export async function imageAncestry(docker: Docker, id: string): Promise<ImageInfo[]> {
  const out: ImageInfo[] = [];
  let next: string | undefined = id;
  while (next && out.length < 500) {
    const info: Docker.ImageInspectInfo | undefined = await ignoreStatus(
      docker.getImage(next).inspect(),
      404,
    );
    if (!info) break;
    const image = await inspectImage(docker, info.Id);
    if (image) out.push(image);
    next = info.Parent || undefined;
  }
  return out;
}

export async function removeImage(docker: Docker, id: string): Promise<void> {
  const info = await ignoreStatus(docker.getImage(id).inspect(), 404);
  if (!info) return;
  if (info.Config?.Labels?.[LABEL.managed] !== "true")
    throw new DomainError("conflict", "refusing to remove an image Berth did not build");
  await ignoreStatus(docker.getImage(id).remove({ force: true }), 404, 409);
}
