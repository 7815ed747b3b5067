import { join } from "node:path";
import { AesGcmBox } from "../../src/crypto/aes-gcm-box.js";
import { KeyRing } from "../../src/crypto/key-ring.js";
import { ReleaseMaker } from "../../src/services/release-maker.js";

/** A real key ring and box in `dir`, and a ReleaseMaker over a host of 4 GiB and 2 CPUs. */
export function testReleases(dir: string): { box: AesGcmBox; ring: KeyRing; releases: ReleaseMaker } {
  const ring = KeyRing.open(join(dir, "keyring"));
  const box = new AesGcmBox(ring);
  return {
    box,
    ring,
    releases: new ReleaseMaker(box, {
      capacityOn: async () => ({ memoryMb: 4096, cpus: 2 }),
      unsupportedOn: () => undefined,
    }),
  };
}
