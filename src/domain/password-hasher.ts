/** Turns passwords into slow, salted hashes and checks them; implemented in crypto/. */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** False for a wrong password or a hash this hasher cannot read; never throws for either. */
  verify(password: string, hash: string): Promise<boolean>;
}
