import type Docker from "dockerode";
import { DomainError } from "../../domain/domain-error.js";
import { LABEL } from "../../domain/labels.js";
import type { ImageInfo } from "../engine.js";
import { ignoreStatus } from "./status-code.js";

/**
 * A reference names an image only exactly: its full ID, or one of its tags or digests. dockerd
 * also resolves any unique prefix of an ID, so without this `3f` would find whatever image's ID
 * starts so, including untagged layers of another tenant's build.
 */
function namesExactly(ref: string, info: Docker.ImageInspectInfo): boolean {
  if (ref === info.Id || `sha256:${ref}` === info.Id) return /[a-f0-9]{64}$/.test(ref);
  const familiar = ref.replace(/^(docker\.io|index\.docker\.io)\//, "").replace(/^library\//, "");
  const at = familiar.indexOf("@");
  if (at >= 0) {
    const name = familiar.slice(0, at).replace(/:[^/:]+$/, "");
    return (info.RepoDigests ?? []).includes(`${name}${familiar.slice(at)}`);
  }
  const tagged = /:[^/:]+$/.test(familiar) ? familiar : `${familiar}:latest`;
  return (info.RepoTags ?? []).includes(tagged);
}

function toImageInfo(info: Docker.ImageInspectInfo): ImageInfo {
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

/** An image's ID, its exposed TCP ports, and whose build made it; null when it is not on the host. */
export async function inspectImage(docker: Docker, ref: string): Promise<ImageInfo | null> {
  const info = await ignoreStatus(docker.getImage(ref).inspect(), 404);
  return info && namesExactly(ref, info) ? toImageInfo(info) : null;
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
    out.push(toImageInfo(info));
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
