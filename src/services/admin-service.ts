import { createReadStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { bindingContext, entryContext, instanceContext, releaseContext } from "../config/sealing-contexts.js";
import type { RotateKeyResult } from "../domain/admin.js";
import type { SecretBox } from "../domain/secret-box.js";
import type { Store } from "../store/store.js";
import type { KeyRotation } from "./ports.js";
import { NO_AUDIT, WritePath } from "./write-path.js";

/** Platform chores: key rotation and backups. */
export class AdminService {
  constructor(
    private readonly store: Store,
    private readonly box: SecretBox,
    private readonly ring: KeyRotation,
    private readonly writes: WritePath = new WritePath(store, NO_AUDIT),
  ) {}

  /**
   * Adds a key, then re-seals every secret, release and TLS key under it in one transaction.
   * The old keys stay in the ring (a crash mid-way loses nothing) unless pruning is asked for,
   * which happens only after the commit and only for keys nothing uses.
   */
  async rotateKey(prune: boolean): Promise<RotateKeyResult> {
    const { id } = this.ring.rotate();
    const resealed = await this.writes.run(
      { object: { kind: "key", name: id }, change: { prune } },
      async (tx) => {
        let secrets = 0;
        for (const row of await tx.config.listSecretEntries()) {
          const plain = this.box.open(row.value, entryContext(row));
          await tx.config.replaceSecretValue(row.id, this.box.seal(plain, entryContext(row)));
          secrets++;
        }
        let releases = 0;
        for (const row of await tx.releases.listSealed()) {
          const context = releaseContext(row.app_id, row.env_id, row.number);
          const sealed = row.sealed as string;
          await tx.releases.replaceSealed(row.id, this.box.seal(this.box.open(sealed, context), context));
          releases++;
        }
        // Service instances' generated secrets and bindings' credentials, under their own contexts.
        for (const i of await tx.instances.listSealed()) {
          const context = instanceContext(i.tenantId, i.envId, i.name);
          await tx.instances.replaceSecrets(i.id, this.box.seal(this.box.open(i.sealed, context), context));
          secrets++;
        }
        for (const b of await tx.bindings.listSealed()) {
          const context = bindingContext(b.id);
          await tx.bindings.replaceSealed(b.id, this.box.seal(this.box.open(b.sealed, context), context));
          secrets++;
        }
        const certificates = await tx.certificates.reseal(false);
        return { secrets, releases, certificates };
      },
    );
    let pruned: string[] = [];
    if (prune) pruned = this.ring.retain(new Set(await this.keysInUse()));
    return { keyId: id, resealed, keys: this.ring.ids(), pruned };
  }

  /** A consistent copy of the database as a stream; its temporary file goes when the stream ends. */
  async backup(): Promise<Readable> {
    const dir = await mkdtemp(join(tmpdir(), "berth-backup-"));
    const file = join(dir, "berth.db");
    try {
      await this.store.backup(file);
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
    const stream = createReadStream(file);
    stream.once("close", () => void rm(dir, { recursive: true, force: true }));
    return stream;
  }

  private async keysInUse(): Promise<string[]> {
    const ids = new Set<string>([this.box.currentKeyId()]);
    for (const row of await this.store.config.listSecretEntries()) ids.add(this.box.keyIdOf(row.value));
    for (const row of await this.store.releases.listSealed()) ids.add(this.box.keyIdOf(row.sealed as string));
    for (const id of await this.store.certificates.keyIds()) ids.add(id);
    for (const i of await this.store.instances.listSealed()) ids.add(this.box.keyIdOf(i.sealed));
    for (const b of await this.store.bindings.listSealed()) ids.add(this.box.keyIdOf(b.sealed));
    return [...ids];
  }
}
