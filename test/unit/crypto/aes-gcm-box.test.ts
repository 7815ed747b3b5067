import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AesGcmBox } from "../../../src/crypto/aes-gcm-box.js";
import { KeyRing } from "../../../src/crypto/key-ring.js";

const ringFile = () => join(mkdtempSync(join(tmpdir(), "berth-ring-")), "keyring");

describe("KeyRing and AesGcmBox", () => {
  it("creates a 0600 ring on first open and reads the same key back", () => {
    const file = ringFile();
    const ring = KeyRing.open(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const sealed = new AesGcmBox(ring).seal("hunter2", "ctx");
    expect(sealed).toMatch(/^berth:v1:[0-9a-f]{16}:/);
    expect(sealed).not.toContain("hunter2");
    expect(new AesGcmBox(KeyRing.open(file)).open(sealed, "ctx")).toBe("hunter2");
  });

  it("never produces the same ciphertext twice (random IVs)", () => {
    const box = new AesGcmBox(KeyRing.open(ringFile()));
    expect(box.seal("same", "ctx")).not.toBe(box.seal("same", "ctx"));
  });

  it("refuses a ciphertext moved to another context, or tampered with, without echoing it", () => {
    const box = new AesGcmBox(KeyRing.open(ringFile()));
    const sealed = box.seal("hunter2", "config:1:2:3:PW");
    expect(() => box.open(sealed, "config:1:2:3:OTHER")).toThrow(/integrity check/);
    const raw = Buffer.from(sealed.split(":")[3] as string, "base64");
    raw[raw.length - 1] = (raw[raw.length - 1] as number) ^ 1;
    const tampered = `${sealed.split(":").slice(0, 3).join(":")}:${raw.toString("base64")}`;
    const error = (() => {
      try {
        box.open(tampered, "config:1:2:3:PW");
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(error?.message).toMatch(/integrity check/);
    expect(error?.message).not.toContain(tampered.slice(30));
  });

  it("after rotation the new key seals and the old key still opens; pruning drops it", () => {
    const file = ringFile();
    const ring = KeyRing.open(file);
    const box = new AesGcmBox(ring);
    const old = box.seal("v", "c");
    const oldId = box.keyIdOf(old);
    const { id } = ring.rotate();
    expect(box.currentKeyId()).toBe(id);
    expect(box.keyIdOf(box.seal("v", "c"))).toBe(id);
    expect(box.open(old, "c")).toBe("v");
    expect(KeyRing.open(file).ids()).toEqual([id, oldId]);
    expect(ring.retain(new Set([id]))).toEqual([oldId]);
    expect(() => box.open(old, "c")).toThrow(/not in the key ring/);
  });

  it("refuses a damaged ring instead of silently using a wrong key", () => {
    const file = ringFile();
    KeyRing.open(file);
    const text = readFileSync(file, "utf8");
    const line = text.split("\n")[1] as string;
    const [id, key, at] = line.split(" ") as [string, string, string];
    const flipped = `${key[0] === "A" ? "B" : "A"}${key.slice(1)}`;
    writeFileSync(file, `${id} ${flipped} ${at}\n`);
    expect(() => KeyRing.open(file)).toThrow(/damaged/);
  });
});
