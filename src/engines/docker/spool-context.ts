import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { extract } from "tar-stream";

const MAX_DOCKERFILE = 1024 * 1024;

/**
 * Writes a build context to a private temp file and reads its root Dockerfile, so the
 * Dockerfile can be checked before Docker sees a byte of it (Docker starts building as soon as
 * the upload ends). Plain and gzip tar; `dockerfile` is null when there is none.
 */
export async function spoolContext(
  context: Readable,
): Promise<{ open(): Readable; dockerfile: string | null; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "berth-context-"));
  const file = join(dir, "context.tar");
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    await pipeline(context, createWriteStream(file, { mode: 0o600 }));
    return { open: () => createReadStream(file), dockerfile: await readDockerfile(file), cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

async function readDockerfile(file: string): Promise<string | null> {
  const head = await new Promise<Buffer>((resolve, reject) => {
    const s = createReadStream(file, { start: 0, end: 1 });
    const chunks: Buffer[] = [];
    s.on("data", (c) => chunks.push(c as Buffer));
    s.on("end", () => resolve(Buffer.concat(chunks)));
    s.on("error", reject);
  });
  const gzip = head[0] === 0x1f && head[1] === 0x8b;
  let found: string | null = null;
  const tar = extract();
  tar.on("entry", (header, stream, next) => {
    const name = header.name.replace(/^\.\//, "");
    if (name === "Dockerfile" && header.type === "file" && (header.size ?? 0) <= MAX_DOCKERFILE) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: unknown) => chunks.push(c as Buffer));
      stream.on("end", () => {
        found = Buffer.concat(chunks).toString("utf8");
        next();
      });
    } else {
      stream.on("end", () => next());
      stream.resume();
    }
  });
  const source = createReadStream(file);
  await (gzip ? pipeline(source, createGunzip(), tar) : pipeline(source, tar));
  return found;
}
