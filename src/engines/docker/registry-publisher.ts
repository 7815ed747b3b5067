import type Docker from "dockerode";
import { DomainError } from "../../domain/domain-error.js";
import { JsonLines } from "./json-lines.js";

interface PushMessage {
  error?: unknown;
  aux?: { Digest?: unknown };
}

/**
 * Makes a local image pullable by cluster nodes: tags it into the built-in registry and pushes
 * it from the local dockerd. Nodes then pull `REGISTRY/berth/images@DIGEST`, which names exactly
 * that image whatever happens to tags later. One push per image per server run.
 */
export class RegistryPublisher {
  readonly #pushed = new Map<string, Promise<string>>();

  constructor(
    private readonly docker: Docker,
    /** host:port the nodes and this host both reach the registry at. */
    readonly registry: string,
  ) {}

  pullable(imageId: string): Promise<string> {
    let hit = this.#pushed.get(imageId);
    if (!hit) {
      hit = this.#push(imageId);
      this.#pushed.set(imageId, hit);
      hit.catch(() => this.#pushed.delete(imageId));
    }
    return hit;
  }

  async #push(imageId: string): Promise<string> {
    if (!/^sha256:[0-9a-f]{64}$/.test(imageId))
      throw new DomainError("invalid", `image ${imageId} is not an image ID`);
    const repo = `${this.registry}/berth/images`;
    const tag = imageId.slice("sha256:".length);
    await this.docker.getImage(imageId).tag({ repo, tag });
    const stream = (await this.docker
      .getImage(`${repo}:${tag}`)
      .push({ tag, authconfig: {} } as never)) as unknown as NodeJS.ReadableStream;
    const digest = await new Promise<string>((resolve, reject) => {
      let found: string | undefined;
      let failure: string | undefined;
      const lines = new JsonLines(
        (value) => {
          const m = value as PushMessage | null;
          if (typeof m?.error === "string") failure = m.error;
          if (typeof m?.aux?.Digest === "string") found = m.aux.Digest;
        },
        () => undefined,
      );
      stream.on("data", (chunk: Buffer) => lines.push(chunk));
      stream.once("error", reject);
      stream.once("end", () => {
        lines.end();
        if (failure || !found)
          reject(
            new DomainError(
              "unavailable",
              `cannot push image ${imageId.slice(7, 19)} to the built-in registry ${this.registry}: ${failure ?? "no digest"}`,
            ),
          );
        else resolve(found);
      });
    });
    return `${repo}@${digest}`;
  }
}
