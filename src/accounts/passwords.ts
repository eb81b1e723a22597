import crypto from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';

/** NIST SP 800-63B: length, not composition rules; long passphrases welcome. */
export const MIN_PASSWORD_LENGTH = 12;
/** argon2 hashes any length, but a megabyte-long "password" should not cost a request that much. */
export const MAX_PASSWORD_LENGTH = 256;

/** Why a new password is refused, or undefined. Lengths count characters, not bytes. */
export function passwordProblem(password: string, email: string): string | undefined {
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) return `Use at least ${MIN_PASSWORD_LENGTH} characters (a few words make a good one)`;
  if (length > MAX_PASSWORD_LENGTH) return `Use at most ${MAX_PASSWORD_LENGTH} characters`;
  const folded = password.trim().toLowerCase();
  if (folded === email.toLowerCase() || folded === email.toLowerCase().split('@')[0]) return 'Do not use your email address as your password';
  return undefined;
}

/**
 * argon2id with the library's defaults (19 MiB, 2 passes: OWASP's recommendation). A failed
 * sign-in for an unknown address verifies against a dummy hash, so it takes as long as a wrong
 * password for a known one and the answer's timing does not tell which addresses have accounts.
 */
export class Passwords {
  // Made at start, so the first unknown address is not slower than the rest.
  private readonly dummy = hash(crypto.randomBytes(24).toString('base64url'));

  hash(password: string): Promise<string> {
    return hash(password);
  }

  /** Whether `password` matches `stored`; with no stored hash, the same work and false. */
  async matches(stored: string | null | undefined, password: string): Promise<boolean> {
    if (!stored) {
      await verify(await this.dummy, password).catch(() => false);
      return false;
    }
    return verify(stored, password).catch(() => false);
  }
}
