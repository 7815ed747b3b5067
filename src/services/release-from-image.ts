import { DomainError } from "../domain/domain-error.js";
import type { ReleaseRow } from "../store/release-repository.js";
import type { ImageLookup } from "./ports.js";

export const DEFAULT_PORT = 8080;
export const DEFAULT_HEALTH_PATH = "/";

export type NewRelease = Omit<ReleaseRow, "id" | "number" | "created_at" | "app_id" | "env_id">;

/**
 * The fields of a new release made from an image on this host: port and health path come from
 * the request, else the previous release, else the image's one exposed port, else defaults.
 */
export async function releaseFromImage(
  images: ImageLookup,
  names: { tenant: string; app: string },
  req: { image: string; port?: number; healthPath?: string },
  previous: ReleaseRow | undefined,
): Promise<NewRelease> {
  const image = await images.inspectImage(req.image);
  if (!image)
    throw new DomainError(
      "invalid",
      `image '${req.image}' is not on this host; build it with 'berth deploy ${names.app} --path DIR' or load it with 'docker load'`,
      "image",
    );
  const exposed = image.exposedPorts.length === 1 ? image.exposedPorts[0] : undefined;
  return {
    image: req.image,
    image_id: image.id,
    port: req.port ?? previous?.port ?? exposed ?? DEFAULT_PORT,
    health_path: req.healthPath ?? previous?.health_path ?? DEFAULT_HEALTH_PATH,
    // Images built by Berth carry this tag; anything else came from the user.
    source: req.image.startsWith(`berth/${names.tenant}/${names.app}:build-`) ? "build" : "image",
    rolled_back_from: null,
  };
}
