import type { Readable } from "node:stream";
import { LABEL } from "../domain/labels.js";
import type { Store } from "../store/store.js";
import { findApp, findTenant } from "./lookup.js";
import type { ImageBuilder } from "./ports.js";

/** Builds an app's image from a tar context the CLI streams; the log goes back as it happens. */
export class BuildService {
  constructor(
    private readonly store: Store,
    private readonly builder: ImageBuilder,
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
    const image = await this.builder.build(
      context,
      { tag, labels: { [LABEL.managed]: "true", [LABEL.tenant]: tenant, [LABEL.app]: app } },
      onLog,
    );
    return { id: image.id, tag };
  }
}
