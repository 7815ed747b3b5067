import type { ImageLookup } from "./ports.js";

/**
 * An image as one tenant may use it: its own builds and images Berth did not build (base images,
 * loaded ones). Another tenant's build answers as if it were not there, so nothing tells one team
 * that another's image exists, and none can run or build on another's code.
 */
export async function imageForTenant(images: ImageLookup, ref: string, tenant: string) {
  const info = await images.inspectImage(ref);
  return info && (info.tenant === null || info.tenant === tenant) ? info : null;
}
