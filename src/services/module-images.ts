import { Readable } from "node:stream";
import { pack } from "tar-stream";
import { moduleImageTag } from "../domain/capability-module.js";
import { DomainError } from "../domain/domain-error.js";
import { LABEL } from "../domain/labels.js";
import type { CapabilityModuleRecord, StoredModuleFile } from "../store/capability-module-repository.js";
import type { Store } from "../store/store.js";
import type { ImageBuilder } from "./ports.js";

type ModuleIdentity = Pick<CapabilityModuleRecord, "capability" | "version" | "digest" | "manifest">;

/** The images of one module version, by the manifest's image name: tag and image ID. */
export type ModuleImageSet = Record<string, { tag: string; id: string }>;

/**
 * Builds a module's images from its stored files, on the local engine, once: a tag made of the
 * files' digest is found again on every later use. Builds of one tag are shared by concurrent
 * callers. Clusters get them through the built-in registry like any release's image.
 */
export class ModuleImages {
  readonly #building = new Map<string, Promise<{ tag: string; id: string }>>();

  constructor(
    private readonly store: Store,
    private readonly builder: ImageBuilder,
  ) {}

  /** The images of a stored module version, built now where missing. */
  ensure(m: CapabilityModuleRecord, onLog: (line: string) => void = () => {}): Promise<ModuleImageSet> {
    return this.ensureFromFiles(m, () => this.store.modules.files(m.id), onLog);
  }

  /** The same for a module not stored yet (catalog add builds before it stores). */
  async ensureFromFiles(
    m: ModuleIdentity,
    files: StoredModuleFile[] | (() => Promise<StoredModuleFile[]>),
    onLog: (line: string) => void = () => {},
  ): Promise<ModuleImageSet> {
    const out: ModuleImageSet = {};
    let loaded: StoredModuleFile[] | undefined = Array.isArray(files) ? files : undefined;
    for (const [name, image] of Object.entries(m.manifest.images)) {
      const tag = moduleImageTag(m, name);
      const found = await this.builder.inspectImage(tag);
      if (found) {
        out[name] = { tag, id: found.id };
        continue;
      }
      let build = this.#building.get(tag);
      if (!build) {
        loaded ??= await (files as () => Promise<StoredModuleFile[]>)();
        build = this.build(m, name, image.context, loaded, tag, onLog).finally(() =>
          this.#building.delete(tag),
        );
        this.#building.set(tag, build);
      }
      out[name] = await build;
    }
    return out;
  }

  private async build(
    m: ModuleIdentity,
    name: string,
    context: string,
    files: StoredModuleFile[],
    tag: string,
    onLog: (line: string) => void,
  ): Promise<{ tag: string; id: string }> {
    const prefix = `${context.replace(/\/+$/, "")}/`;
    const tar = pack();
    for (const f of files)
      if (f.path.startsWith(prefix))
        tar.entry(
          { name: f.path.slice(prefix.length), mode: f.mode, mtime: new Date(0) },
          Buffer.from(f.data, "base64"),
        );
    tar.finalize();
    onLog(`building image ${name} of ${m.capability} ${m.version} as ${tag}`);
    try {
      const built = await this.builder.build(
        Readable.from(tar as AsyncIterable<Buffer>),
        {
          tag,
          // Named by the module's files, so shared by every server on this engine (and kept
          // between test runs: the slow apt step is built once per module version).
          shared: true,
          labels: {
            [LABEL.managed]: "true",
            "berth.capability": m.capability,
            "berth.capability-version": m.version,
          },
        },
        onLog,
      );
      return { tag, id: built.id };
    } catch (error) {
      throw new DomainError(
        "failed",
        `image ${name} of capability ${m.capability} ${m.version} did not build: ${(error as Error).message}`,
      );
    }
  }
}
