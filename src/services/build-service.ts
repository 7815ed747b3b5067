import type { Readable } from "node:stream";
import { dockerfileImages } from "../domain/dockerfile-images.js";
import { DomainError } from "../domain/domain-error.js";
import { LABEL } from "../domain/labels.js";
import type { Store } from "../store/store.js";
import { findApp, findTenant } from "./lookup.js";
import type { ImageBuilder } from "./ports.js";
import { imageForTenant } from "./tenant-image.js";
import { NO_AUDIT, WritePath } from "./write-path.js";

/** Builds an app's image from a tar context the CLI streams; the log goes back as it happens. */
export class BuildService {
  constructor(
    private readonly store: Store,
    private readonly builder: ImageBuilder,
    private readonly writes: WritePath = new WritePath(store, NO_AUDIT),
  ) {}

  async build(
    tenant: string,
    app: string,
    context: Readable,
    onLog: (line: string) => void,
  ): Promise<{ id: string; tag: string }> {
    const t = await findTenant(this.store, tenant);
    await findApp(this.store, t, app);
    const tag = `berth/${tenant}/${app}:build-${Date.now()}`;
    this.writes.describe({ tenant, object: { kind: "build", name: app }, change: { tag } });
    const image = await this.builder.build(
      context,
      {
        tag,
        labels: { [LABEL.managed]: "true", [LABEL.tenant]: tenant, [LABEL.app]: app },
        // Before a single step runs: a FROM or COPY --from another tenant's build would copy its
        // code here, and RUN output would stream it back. Missing and foreign images read alike.
        vet: async (dockerfile) => {
          if (dockerfile === null)
            throw new DomainError("failed", "build failed: the context has no Dockerfile at its root");
          for (const ref of dockerfileImages(dockerfile))
            if (!(await imageForTenant(this.builder, ref, tenant)))
              throw new DomainError(
                "failed",
                `build failed: image '${ref}' is not on this host; build on your own images or on base images such as berth/debian:bookworm`,
              );
        },
      },
      onLog,
    );
    // FROM another tenant's build would copy its code into this one; the image does not survive.
    const ancestry = await this.builder.imageAncestry(image.id);
    if (ancestry.slice(1).some((a) => a.tenant !== null && a.tenant !== tenant)) {
      await this.builder.removeImage(image.id);
      throw new DomainError(
        "failed",
        `build failed: its base image is not available to tenant '${tenant}'; build on your own images or on base images such as berth/debian:bookworm`,
      );
    }
    return { id: image.id, tag };
  }
}
