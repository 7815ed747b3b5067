import { createHash, randomBytes } from "node:crypto";

/** Tokens are looked up by their SHA-256: the store never holds the secret itself. */
export const hashToken = (token: string) => createHash("sha256").update(token, "utf8").digest("hex");
/** 32 random bytes; the prefix lets secret scanners and people recognise a Berth token. */
export const mintToken = () => `berth_${randomBytes(32).toString("base64url")}`;
/** The only shape a token can have; anything else is refused before the store is asked. */
export const TOKEN_SHAPE = /^berth_[A-Za-z0-9_-]{43}$/;
