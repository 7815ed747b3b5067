import { createHash, randomBytes } from "node:crypto";
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";

export interface RingKey {
  id: string;
  key: Buffer;
  createdAt: string;
}

const KEY_BYTES = 32;
const LINE = /^([0-9a-f]{16}) ([A-Za-z0-9+/]{43}=) (\S+)$/;

/**
 * The keys that encrypt secrets at rest, newest first: the first key seals, every key opens.
 * Kept in a root-only file outside the database, so a copy of the database (or its backup)
 * alone reveals nothing. One line per key: `<id> <base64 key> <created-at>`.
 */
export class KeyRing {
  private constructor(
    private readonly file: string,
    private keys: RingKey[],
  ) {}

  /** Opens the ring, creating it with one fresh key on first start. */
  static open(file: string): KeyRing {
    if (!existsSync(file)) {
      const ring = new KeyRing(file, [newKey()]);
      ring.save();
      return ring;
    }
    const keys = readFileSync(file, "utf8")
      .split("\n")
      .filter((l) => l.trim() !== "" && !l.startsWith("#"))
      .map((line, i) => {
        const m = LINE.exec(line.trim());
        if (!m) throw new Error(`key ring ${file}: line ${i + 1} is not '<id> <base64 key> <date>'`);
        const key = Buffer.from(m[2] as string, "base64");
        if (key.length !== KEY_BYTES || keyId(key) !== m[1])
          throw new Error(`key ring ${file}: key ${m[1]} is damaged (its id does not match its bytes)`);
        return { id: m[1] as string, key, createdAt: m[3] as string };
      });
    if (keys.length === 0) throw new Error(`key ring ${file} holds no keys`);
    return new KeyRing(file, keys);
  }

  current(): RingKey {
    return this.keys[0] as RingKey;
  }

  find(id: string): RingKey | undefined {
    return this.keys.find((k) => k.id === id);
  }

  ids(): string[] {
    return this.keys.map((k) => k.id);
  }

  /** Puts a new key first; callers re-seal everything, then may prune the old keys. */
  rotate(): RingKey {
    const key = newKey();
    this.keys = [key, ...this.keys];
    this.save();
    return key;
  }

  /** Drops every key but those listed (the current key always stays). */
  retain(ids: ReadonlySet<string>): string[] {
    const dropped = this.keys.filter((k, i) => i > 0 && !ids.has(k.id)).map((k) => k.id);
    this.keys = this.keys.filter((k, i) => i === 0 || ids.has(k.id));
    this.save();
    return dropped;
  }

  private save(): void {
    const text = [
      "# Berth key ring: the first key encrypts, every key decrypts. Back it up apart from the database.",
      ...this.keys.map((k) => `${k.id} ${k.key.toString("base64")} ${k.createdAt}`),
      "",
    ].join("\n");
    // Write-then-rename: a crash mid-write must never leave a ring that lost its keys.
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, text, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, this.file);
  }
}

function newKey(): RingKey {
  const key = randomBytes(KEY_BYTES);
  return { id: keyId(key), key, createdAt: new Date().toISOString() };
}

/** Derived from the key itself, so a ring's lines cannot be mislabelled. */
function keyId(key: Buffer): string {
  return createHash("sha256").update("berth key id\0").update(key).digest("hex").slice(0, 16);
}
