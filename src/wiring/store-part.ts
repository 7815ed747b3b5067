import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AesGcmBox } from "../crypto/aes-gcm-box.js";
import { KeyRing } from "../crypto/key-ring.js";
import type { ServerConfig } from "../server-config.js";
import { hashToken, mintToken } from "../services/api-token.js";
import { maskDatabaseUrl } from "../store/mask-database-url.js";
import { openStore } from "../store/open-store.js";
import type { Store } from "../store/store.js";

export interface StorePart {
  ring: KeyRing;
  box: AesGcmBox;
  store: Store;
}

/** The key ring, the store sealed with it (SQLite or PostgreSQL, migrated), and the first admin token. */
export async function storePart(
  config: ServerConfig,
  log: { info(o: object, m: string): void },
): Promise<StorePart> {
  // The key ring lives outside the database, so the database (and its backups) alone reveal no secret.
  const ring = KeyRing.open(config.keyring ?? join(config.dataDir, "keyring"));
  const box = new AesGcmBox(ring);
  const store = await openStore(config.database, config.dataDir, box);
  log.info(
    { store: config.database ? maskDatabaseUrl(config.database) : join(config.dataDir, "berth.db") },
    "store open",
  );
  // TLS keys stored before secrets were sealed are sealed now.
  await store.certificates.reseal(true);
  await ensureAdminToken(store, config.dataDir, log);
  return { ring, box, store };
}

/**
 * First start only: a token for the bootstrap user `admin` (a platform admin without a password),
 * left where only root can read it. Sign-in with passwords starts once someone sets one.
 */
async function ensureAdminToken(store: Store, dataDir: string, log: { info(o: object, m: string): void }) {
  const file = join(dataDir, "admin-token");
  if ((await store.tokens.count()) > 0) return;
  const admin = (await store.users.find("admin")) ?? (await store.users.create("admin", null, true));
  const token = mintToken();
  await store.tokens.create({ user_id: admin.id, name: "admin", token_hash: hashToken(token), kind: "api" });
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  log.info({ file }, "created the admin token");
}
