import crypto from 'node:crypto';
import { MAX_ROW_ID } from './row-id';

/**
 * Links that identify a subscriber without a login or a stored token: `<id>.<signature>`, where the
 * signature is an HMAC of the purpose and the id under SECRET_KEY. Used for the unsubscribe and
 * preferences links that every email carries, so a digest to 100,000 people needs no token rows.
 */
export type LinkPurpose = 'unsubscribe' | 'preferences';

export class SignedLinks {
  /**
   * `previousSecrets`: keys rotated out (SECRET_KEY_PREVIOUS). Links already sent (the
   * List-Unsubscribe of every delivered email) were signed with them and must keep working; new
   * links are signed with `secret` only.
   */
  constructor(
    private readonly secret: string,
    private readonly publicUrl: string,
    private readonly previousSecrets: readonly string[] = [],
  ) {}

  token(purpose: LinkPurpose, subscriberId: number): string {
    return `${subscriberId}.${signature(this.secret, purpose, subscriberId)}`;
  }

  url(purpose: LinkPurpose, subscriberId: number): string {
    return `${this.publicUrl}/${purpose}?s=${this.token(purpose, subscriberId)}`;
  }

  /** The subscriber id, or undefined when the token was not made by us for this purpose. */
  verify(purpose: LinkPurpose, token: unknown): number | undefined {
    if (typeof token !== 'string') return undefined;
    const match = /^([1-9]\d{0,9})\.([A-Za-z0-9_-]{43})$/.exec(token);
    if (!match) return undefined;
    const id = Number(match[1]);
    if (id > MAX_ROW_ID) return undefined;
    const given = Buffer.from(match[2] as string);
    // Every key is tried (no early exit), so the time taken does not tell which key matched.
    let valid = false;
    for (const secret of [this.secret, ...this.previousSecrets]) {
      if (crypto.timingSafeEqual(Buffer.from(signature(secret, purpose, id)), given)) valid = true;
    }
    return valid ? id : undefined;
  }
}

function signature(secret: string, purpose: LinkPurpose, subscriberId: number): string {
  return crypto.createHmac('sha256', secret).update(`${purpose}:${subscriberId}`).digest('base64url');
}
