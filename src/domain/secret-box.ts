/**
 * Encrypts what Berth keeps at rest. `context` binds a ciphertext to the row it belongs to
 * (authenticated, not secret), so a ciphertext copied into another row fails to open.
 */
export interface SecretBox {
  seal(plaintext: string, context: string): string;
  open(sealed: string, context: string): string;
  /** The id of the key that sealed it; rotation re-seals everything not under the current key. */
  keyIdOf(sealed: string): string;
  currentKeyId(): string;
}
