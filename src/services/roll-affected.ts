import { diffSnapshots } from "../config/diff-snapshots.js";
import type { Store } from "../store/store.js";
import { currentRelease } from "./current-release.js";
import type { AppInEnv } from "./lookup.js";
import type { ReleaseMaker, ReleaseSpec } from "./release-maker.js";
import { startRollout } from "./start-rollout.js";

export interface Reached {
  where: AppInEnv;
  /** A new image to deploy; otherwise the current release's image with the layers as they are now. */
  image?: { ref: string; id: string; exposedPorts: number[] };
}

export interface RollResult {
  releases: { app: string; env: string; release: number; eventCursor: number }[];
  staged: { app: string; env: string }[];
  scaled: { app: string; env: string; replicas: number }[];
}

/**
 * After layers changed inside `tx`: re-resolves every deployment they reach, so a value that no
 * longer resolves aborts the whole transaction. Unless staged, each deployment whose release
 * would differ gets a new release and a rolling update; a replicas-only change just scales.
 */
export async function rollAffected(
  tx: Store,
  releases: ReleaseMaker,
  reached: readonly Reached[],
  exposedPortsOf: (imageId: string) => number[],
  stage: boolean,
): Promise<RollResult> {
  const out: RollResult = { releases: [], staged: [], scaled: [] };
  for (const { where, image } of reached) {
    const current = await currentRelease(tx, where);
    const names = { app: where.app.name, env: where.env.name };
    let spec: ReleaseSpec;
    if (image)
      spec = {
        image: image.ref,
        imageId: image.id,
        exposedPorts: image.exposedPorts,
        source: image.ref.startsWith(`berth/${where.tenant.name}/${where.app.name}:build-`)
          ? "build"
          : "image",
      };
    else if (current)
      spec = {
        image: current.image,
        imageId: current.image_id,
        exposedPorts: exposedPortsOf(current.image_id),
        source: "config",
        releaseValues: current.release_values,
      };
    else continue;
    // Resolving checks the change against this deployment even when it is only staged.
    const made = await releases.make(tx, where, spec);
    if (stage) {
      out.staged.push(names);
      continue;
    }
    const differs =
      !current ||
      image !== undefined ||
      diffSnapshots(releases.view(current), releases.viewOf(spec, made.snapshot), false).length > 0;
    if (differs) {
      const started = await startRollout(tx, where, made, {
        replicas: made.snapshot.replicas,
        healthTimeout: made.snapshot.resources.healthTimeout,
        what: image ? image.ref : `${spec.image} with changed config`,
      });
      out.releases.push({ ...names, ...started });
      continue;
    }
    const deployment = await tx.deployments.find(where.app.id, where.env.id);
    if (deployment && deployment.replicas !== made.snapshot.replicas) {
      await tx.deployments.update(where.app.id, where.env.id, { replicas: made.snapshot.replicas });
      await tx.events.append(
        where.app.id,
        where.env.id,
        deployment.release,
        "scaled",
        `scaled to ${made.snapshot.replicas} replica(s) by a settings change`,
      );
      out.scaled.push({ ...names, replicas: made.snapshot.replicas });
    }
  }
  return out;
}
