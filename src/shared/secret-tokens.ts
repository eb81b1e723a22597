import crypto from 'node:crypto';

/**
 * Secrets handed out in links and cookies (confirmation and manage links, the console's
 * set-password links, sessions and API tokens): 256 random bits, base64url. Only the SHA-256 hash
 * is ever stored, so a leaked database cannot confirm a subscription or sign anyone in.
 */
export interface IssuedToken {
  raw: string;
  hash: string;
}

export function issueToken(): IssuedToken {
  const raw = crypto.randomBytes(32).toString('base64url');
  return { raw, hash: hashToken(raw) };
}

export function hashToken(raw: string): string {
  return crypto.createHash('sha256').update(raw).digest('hex');
}

/** Shape check before touching the database: anything else cannot be one of ours. */
export function looksLikeToken(raw: unknown): raw is string {
  return typeof raw === 'string' && /^[A-Za-z0-9_-]{43}$/.test(raw);
}
