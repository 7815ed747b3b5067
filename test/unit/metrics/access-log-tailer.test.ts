import {
  appendFileSync,
  closeSync,
  mkdtempSync,
  openSync,
  renameSync,
  rmSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AccessLogTailer, type AccessLogTailerOptions } from "../../../src/metrics/access-log-tailer.js";

let dir: string;
let path: string;
const tailers: AccessLogTailer[] = [];
const fds: number[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "berth-tailer-"));
  path = join(dir, "access.log");
});

afterEach(async () => {
  for (const tailer of tailers.splice(0)) await tailer.close().catch(() => undefined);
  for (const fd of fds.splice(0)) closeSync(fd);
  rmSync(dir, { recursive: true, force: true });
});

function tailer(options: AccessLogTailerOptions = {}): AccessLogTailer {
  const t = new AccessLogTailer(path, options);
  tailers.push(t);
  return t;
}

/** A tailer that has already opened the (empty) log, as it would be once the router is running. */
async function following(options: AccessLogTailerOptions = {}): Promise<AccessLogTailer> {
  writeFileSync(path, "");
  const t = tailer(options);
  expect(await t.readNewLines()).toEqual([]);
  return t;
}

/** An append-mode descriptor, like the one an nginx worker holds. */
function appender(file = path): (text: string) => void {
  const fd = openSync(file, "a");
  fds.push(fd);
  return (text) => {
    writeSync(fd, text);
  };
}

/** Reads until the tailer has nothing pending, as a caller that wants everything would. */
async function readAll(t: AccessLogTailer): Promise<string[]> {
  const lines: string[] = [];
  do lines.push(...(await t.readNewLines()));
  while (t.hasPending);
  return lines;
}

describe("AccessLogTailer", () => {
  it("returns nothing while the file is missing, then all of the file that appears later", async () => {
    const t = tailer();
    expect(await t.readNewLines()).toEqual([]);
    expect(await t.readNewLines()).toEqual([]);
    writeFileSync(path, "one\ntwo\n");
    expect(await t.readNewLines()).toEqual(["one", "two"]);
  });

  it("starts at the end of an existing file", async () => {
    writeFileSync(path, "old 1\nold 2\n");
    const t = tailer();
    expect(await t.readNewLines()).toEqual([]);
    appendFileSync(path, "new\n");
    expect(await t.readNewLines()).toEqual(["new"]);
  });

  it("starts at the beginning with fromStart", async () => {
    writeFileSync(path, "old 1\nold 2\n");
    const t = tailer({ fromStart: true });
    expect(await t.readNewLines()).toEqual(["old 1", "old 2"]);
    expect(await t.readNewLines()).toEqual([]);
  });

  it("holds a partial last line until its newline arrives", async () => {
    const t = await following();
    appendFileSync(path, "a\nb");
    expect(await t.readNewLines()).toEqual(["a"]);
    appendFileSync(path, "c");
    expect(await t.readNewLines()).toEqual([]);
    appendFileSync(path, "d\ne\n");
    expect(await t.readNewLines()).toEqual(["bcd", "e"]);
  });

  it("reassembles lines across small read chunks and keeps multi-byte characters whole", async () => {
    const lines = Array.from(
      { length: 200 },
      (_, i) => `line ${i} ${"é".repeat(i % 13)} ${"x".repeat(i % 29)}`,
    );
    writeFileSync(path, `${lines.join("\n")}\n`);
    const t = tailer({ fromStart: true, chunkBytes: 7 });
    expect(await readAll(t)).toEqual(lines);
  });

  it("stops at maxBytesPerCall and says more is pending", async () => {
    const lines = Array.from({ length: 100 }, (_, i) => `line ${String(i).padStart(3, "0")}`);
    writeFileSync(path, `${lines.join("\n")}\n`);
    const t = tailer({ fromStart: true, chunkBytes: 64, maxBytesPerCall: 128 });
    const first = await t.readNewLines();
    expect(first.length).toBeLessThanOrEqual(128 / 9);
    expect(t.hasPending).toBe(true);
    expect([...first, ...(await readAll(t))]).toEqual(lines);
    expect(t.hasPending).toBe(false);
  });

  it("drops a line longer than maxLineBytes and keeps the ones around it", async () => {
    const t = await following({ chunkBytes: 8, maxLineBytes: 16 });
    appendFileSync(path, `short\n${"x".repeat(40)}`);
    expect(await t.readNewLines()).toEqual(["short"]);
    appendFileSync(path, `${"y".repeat(10)}\nafter\n${"z".repeat(17)}\nlast\n`);
    expect(await t.readNewLines()).toEqual(["after", "last"]);
  });

  it("starts again at 0 after truncation and forgets the partial line", async () => {
    const t = await following();
    appendFileSync(path, "one\ntwo\npart");
    expect(await t.readNewLines()).toEqual(["one", "two"]);
    truncateSync(path, 0);
    appendFileSync(path, "three\n");
    expect(await t.readNewLines()).toEqual(["three"]);
  });

  it("loses no line when the file is rotated mid-stream while a writer still appends to the old one", async () => {
    const t = await following({ rotationGraceMs: 60_000 });
    const oldWriter = appender();
    oldWriter("1\n2\n");
    expect(await t.readNewLines()).toEqual(["1", "2"]);

    oldWriter("3\n");
    renameSync(path, `${path}.1`);
    oldWriter("4\n"); // renamed, not reopened yet: still the old file
    expect(await t.readNewLines()).toEqual(["3", "4"]);

    const newWriter = appender(); // the master reopened: a new file at the path
    newWriter("6\n");
    oldWriter("5\n"); // a worker that has not reopened yet
    expect(await t.readNewLines()).toEqual(["5", "6"]);

    oldWriter("7\n"); // still within the grace period
    newWriter("8\n");
    expect(await t.readNewLines()).toEqual(["7", "8"]);
  });

  it("does not glue a torn last line of the old file to the first line of the new one", async () => {
    const t = await following();
    appendFileSync(path, "whole\ntorn");
    renameSync(path, `${path}.1`);
    writeFileSync(path, "fresh\n");
    expect(await t.readNewLines()).toEqual(["whole", "fresh"]);
  });

  it("closes a rotated file once it is quiet and the grace period has passed", async () => {
    let now = 0;
    const t = await following({ rotationGraceMs: 1000, now: () => now });
    const oldWriter = appender();
    renameSync(path, `${path}.1`);
    writeFileSync(path, "new 1\n");
    expect(await t.readNewLines()).toEqual(["new 1"]);

    now = 500;
    expect(await t.readNewLines()).toEqual([]); // quiet, but within the grace: kept
    oldWriter("late 1\n");
    expect(await t.readNewLines()).toEqual(["late 1"]);

    now = 2000;
    oldWriter("late 2\n");
    expect(await t.readNewLines()).toEqual(["late 2"]); // past the grace, not quiet: kept
    expect(await t.readNewLines()).toEqual([]); // quiet and past the grace: closed
    oldWriter("too late\n");
    appendFileSync(path, "new 2\n");
    expect(await t.readNewLines()).toEqual(["new 2"]);
  });

  it("reads the new file from 0 when rotation happened between two calls", async () => {
    const t = await following();
    appendFileSync(path, "a\n");
    renameSync(path, `${path}.1`);
    writeFileSync(path, "b\nc\n");
    appendFileSync(path, "d\n");
    expect(await t.readNewLines()).toEqual(["a", "b", "c", "d"]);
  });

  it("survives two rotations in a row, the second replacing the first's .1", async () => {
    const t = await following();
    const first = appender();
    first("a\n");
    renameSync(path, `${path}.1`);
    const second = appender();
    second("b\n");
    expect(await t.readNewLines()).toEqual(["a", "b"]);
    renameSync(path, `${path}.1`);
    const third = appender();
    first("late a\n");
    second("late b\n");
    third("c\n");
    expect((await t.readNewLines()).sort()).toEqual(["c", "late a", "late b"]);
  });

  it("refuses to read after close", async () => {
    const t = await following();
    await t.close();
    await expect(t.readNewLines()).rejects.toThrow(/closed/);
  });
});
