import crypto from 'node:crypto';
import type pg from 'pg';
import { ERASURE_SALT, MAKE_ERASURE_SALT, type ErasureSaltRow } from './privacy-queries';

/**
 * The addresses of erased readers, kept only as HMAC-SHA256 of the normalised address (trimmed,
 * lower case, as a signup stores it) under a random salt of this installation. The salt lives in
 * the database, not in the configuration, so every instance and command hashes alike and a
 * rotated SECRET_KEY does not forget anyone; without the salt a leaked hash cannot be tested
 * against a list of addresses.
 */
export class ErasedAddresses {
  private salt?: Promise<Buffer>;

  constructor(private readonly deps: { pool: pg.Pool }) {}

  async hashOf(email: string): Promise<string> {
    return hmac(await this.loadSalt(), email);
  }

  async hashesOf(emails: readonly string[]): Promise<string[]> {
    const salt = await this.loadSalt();
    return emails.map((email) => hmac(salt, email));
  }

  /**
   * The hash function if this installation ever erased or imported anyone, else undefined: no salt,
   * so no address can be held. Never makes the salt, so a confirmation (which asks this) leaves a
   * fresh installation as it was; read before the caller's transaction, not inside it.
   */
  async hasherIfAny(): Promise<((email: string) => string) | undefined> {
    if (!this.salt) {
      const { rows } = await this.deps.pool.query<ErasureSaltRow>(ERASURE_SALT);
      // The salt never changes once made: keep it. Until then, ask again (another instance may make it).
      if (!rows[0]) return undefined;
      this.salt ??= Promise.resolve(Buffer.from(rows[0].salt, 'hex'));
    }
    const salt = await this.salt;
    return (email) => hmac(salt, email);
  }

  /** Made once per installation (the first instance to need it wins), then read once per process. */
  private loadSalt(): Promise<Buffer> {
    this.salt ??= (async () => {
      await this.deps.pool.query(MAKE_ERASURE_SALT, [crypto.randomBytes(32).toString('hex')]);
      const { rows } = await this.deps.pool.query<ErasureSaltRow>(ERASURE_SALT);
      return Buffer.from(rows[0]!.salt, 'hex');
    })().catch((err) => {
      this.salt = undefined;
      throw err;
    });
    return this.salt;
  }
}

function hmac(salt: Buffer, email: string): string {
  return crypto.createHmac('sha256', salt).update(email.trim().toLowerCase()).digest('hex');
}
