import { type FileHandle, open, stat } from "node:fs/promises";

export interface AccessLogTailerOptions {
  /** Read an existing file from its first byte instead of its end. */
  fromStart?: boolean;
  /** Size of each read; one buffer of this size is reused. Default 1 MiB. */
  chunkBytes?: number;
  /** One call reads at most about this much, so a large backlog never sits in memory at once. Default 16 MiB. */
  maxBytesPerCall?: number;
  /** Longer lines are dropped: a partial line without end must not grow without bound. Default 64 KiB. */
  maxLineBytes?: number;
  /** How long a rotated-away file is still read after the path got a new file. Default 10 s. */
  rotationGraceMs?: number;
  now?: () => number;
}

/** An open file and the bytes of its unfinished last line; each file has its own, so lines never mix. */
interface TailedFile {
  handle: FileHandle;
  dev: number;
  ino: number;
  offset: number;
  partial: Buffer;
  /** Inside a line that exceeded maxLineBytes: drop bytes until its newline. */
  skipping: boolean;
}

interface RotatedFile {
  file: TailedFile;
  sinceMs: number;
}

const EMPTY = Buffer.alloc(0);
const NEWLINE = 0x0a;

/**
 * Follows a log file that nginx appends to and that gets rotated (renamed away, then nginx
 * reopens the path) or truncated. Each call returns the complete lines added since the last one.
 *
 * Rotation loses no line: nginx workers keep appending to the renamed file until they have
 * reopened the path, which happens after the new file exists, so the old handle stays open and
 * is read again on each call until it has been quiet for `rotationGraceMs`.
 *
 * Truncation is seen only when the file is shorter than what was read; if it was truncated and
 * grew past that offset between two calls, the lines up to the old offset are missed.
 */
export class AccessLogTailer {
  private readonly fromStart: boolean;
  private readonly maxBytesPerCall: number;
  private readonly maxLineBytes: number;
  private readonly rotationGraceMs: number;
  private readonly now: () => number;
  private readonly buffer: Buffer;
  private current: TailedFile | null = null;
  private rotated: RotatedFile[] = [];
  private positioned = false;
  private pending = false;
  private closed = false;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly path: string,
    options: AccessLogTailerOptions = {},
  ) {
    this.fromStart = options.fromStart ?? false;
    const chunkBytes = options.chunkBytes ?? 1024 * 1024;
    this.maxBytesPerCall = Math.max(options.maxBytesPerCall ?? 16 * 1024 * 1024, chunkBytes);
    this.maxLineBytes = options.maxLineBytes ?? 64 * 1024;
    this.rotationGraceMs = options.rotationGraceMs ?? 10_000;
    this.now = options.now ?? Date.now;
    this.buffer = Buffer.allocUnsafe(chunkBytes);
  }

  /** True when the last call stopped at maxBytesPerCall with more to read; call again. */
  get hasPending(): boolean {
    return this.pending;
  }

  /**
   * Complete lines (without "\n") added since the last call. Where a file starts is decided on the
   * first call: at the end of a file that exists then (unless `fromStart`), else at 0 of the file
   * that appears later, since all of that was written after we started.
   */
  readNewLines(): Promise<string[]> {
    return this.serialized(() => this.read());
  }

  /** Closes the open files. Final: reopening could not know where to resume without repeating lines. */
  close(): Promise<void> {
    return this.serialized(async () => {
      const files = [...this.rotated.map((r) => r.file), ...(this.current ? [this.current] : [])];
      this.closed = true;
      this.rotated = [];
      this.current = null;
      await Promise.all(files.map((f) => f.handle.close()));
    });
  }

  /** Calls share one read position, so they must not interleave. */
  private serialized<T>(task: () => Promise<T>): Promise<T> {
    const result = this.queue.then(task);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async read(): Promise<string[]> {
    if (this.closed) throw new Error(`access log tailer for ${this.path} is closed`);
    const lines: string[] = [];
    let budget = this.maxBytesPerCall;
    this.pending = false;

    // Older files first: what nginx wrote there is older than what it writes to the new one.
    for (const rotated of [...this.rotated]) {
      const size = (await rotated.file.handle.stat()).size;
      const got = size < rotated.file.offset ? 0 : await this.drain(rotated.file, lines, budget);
      budget -= got;
      if (budget <= 0) return this.stopAtBudget(lines);
      if (got === 0 && this.now() - rotated.sinceMs >= this.rotationGraceMs) {
        this.rotated = this.rotated.filter((r) => r !== rotated);
        await rotated.file.handle.close();
      }
    }

    if (!this.current) {
      this.current = await this.openPath(!this.positioned && !this.fromStart);
      this.positioned = true;
      if (!this.current) return lines;
    }

    let current = this.current;
    if ((await current.handle.stat()).size < current.offset) restartAtZero(current);
    budget -= await this.drain(current, lines, budget);
    if (budget <= 0) return this.stopAtBudget(lines);

    const atPath = await statIfExists(this.path);
    if (atPath && (atPath.ino !== current.ino || atPath.dev !== current.dev)) {
      // The path is a new file: take what reached the old one meanwhile, then keep the old handle
      // for late writers and read the new file from its start.
      budget -= await this.drain(current, lines, budget);
      this.rotated.push({ file: current, sinceMs: this.now() });
      this.current = null;
      if (budget <= 0) return this.stopAtBudget(lines);
      const next = await this.openPath(false);
      if (!next) return lines;
      this.current = current = next;
      budget -= await this.drain(current, lines, budget);
      if (budget <= 0) return this.stopAtBudget(lines);
    }
    return lines;
  }

  private stopAtBudget(lines: string[]): string[] {
    this.pending = true;
    return lines;
  }

  private async openPath(atEnd: boolean): Promise<TailedFile | null> {
    let handle: FileHandle;
    try {
      handle = await open(this.path, "r");
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
    const info = await handle.stat();
    return {
      handle,
      dev: info.dev,
      ino: info.ino,
      offset: atEnd ? info.size : 0,
      partial: EMPTY,
      skipping: false,
    };
  }

  /** Reads the file from its offset to its end or until `budget` bytes; returns the bytes read. */
  private async drain(file: TailedFile, lines: string[], budget: number): Promise<number> {
    let total = 0;
    while (total < budget) {
      const want = Math.min(this.buffer.length, budget - total);
      const { bytesRead } = await file.handle.read(this.buffer, 0, want, file.offset);
      if (bytesRead === 0) break;
      file.offset += bytesRead;
      total += bytesRead;
      this.splitLines(file, this.buffer.subarray(0, bytesRead), lines);
    }
    return total;
  }

  private splitLines(file: TailedFile, data: Buffer, lines: string[]): void {
    let start = 0;
    for (let end = data.indexOf(NEWLINE); end !== -1; end = data.indexOf(NEWLINE, start)) {
      if (file.skipping) {
        file.skipping = false;
      } else if (file.partial.length + (end - start) <= this.maxLineBytes) {
        lines.push(
          file.partial.length === 0
            ? data.toString("utf8", start, end)
            : Buffer.concat([file.partial, data.subarray(start, end)]).toString("utf8"),
        );
      }
      file.partial = EMPTY;
      start = end + 1;
    }
    if (start === data.length || file.skipping) return;
    if (file.partial.length + (data.length - start) > this.maxLineBytes) {
      file.partial = EMPTY;
      file.skipping = true;
    } else {
      // A copy: `data` is the reused read buffer.
      file.partial = Buffer.concat([file.partial, data.subarray(start)]);
    }
  }
}

function restartAtZero(file: TailedFile): void {
  file.offset = 0;
  file.partial = EMPTY;
  file.skipping = false;
}

async function statIfExists(path: string) {
  try {
    return await stat(path);
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
}

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === "ENOENT";
}
