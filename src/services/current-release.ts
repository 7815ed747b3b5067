import type { ReleaseRow } from "../store/release-repository.js";
import type { Store } from "../store/store.js";
import type { AppInEnv } from "./lookup.js";

/** The release a deployment is rolling out, else the one it serves. */
export async function currentRelease(store: Store, where: AppInEnv): Promise<ReleaseRow | undefined> {
  const row = await store.deployments.find(where.app.id, where.env.id);
  const number = row?.release ?? row?.serving_release;
  return number ? store.releases.find(where.app.id, where.env.id, number) : undefined;
}
