import crypto from 'node:crypto';
import { MAX_ROW_ID } from './row-id';

/**
 * Links that identify a subscriber without a login or a stored token: `<id>.<signature>`, where the
 * signature is an HMAC of the purpose and the id under SECRET_KEY. Used for the unsubscribe and
 * preferences links that every email carries, so a digest to 100,000 people needs no token rows.
 *
 * A link can also name one newsletter, `<id>-<newsletter id>.<signature>` (the newsletter is signed
 * too): the unsubscribe link of an edition leaves that newsletter and no other. A link without one
 * (every link sent before newsletters existed) stands for the whole address.
 */
export type LinkPurpose = 'unsubscribe' | 'preferences';

/** Whom a signed link stands for. */
export interface SignedLink {
  subscriberId: number;
  /** The newsletter the link is about; undefined: the address as a whole. */
  newsletterId?: number;
}

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

  token(purpose: LinkPurpose, subscriberId: number, newsletterId?: number): string {
    const link = { subscriberId, newsletterId };
    return `${subject(link)}.${signature(this.secret, purpose, link)}`;
  }

  url(purpose: LinkPurpose, subscriberId: number, newsletterId?: number): string {
    return `${this.publicUrl}/${purpose}?s=${this.token(purpose, subscriberId, newsletterId)}`;
  }

  /** The subscriber id (of a link for the address or for one newsletter), or undefined when not ours. */
  verify(purpose: LinkPurpose, token: unknown): number | undefined {
    return this.verifyLink(purpose, token)?.subscriberId;
  }

  /** Whom the link stands for, or undefined when the token was not made by us for this purpose. */
  verifyLink(purpose: LinkPurpose, token: unknown): SignedLink | undefined {
    if (typeof token !== 'string') return undefined;
    const match = /^([1-9]\d{0,9})(?:-([1-9]\d{0,9}))?\.([A-Za-z0-9_-]{43})$/.exec(token);
    if (!match) return undefined;
    const subscriberId = Number(match[1]);
    const newsletterId = match[2] === undefined ? undefined : Number(match[2]);
    if (subscriberId > MAX_ROW_ID || (newsletterId ?? 0) > MAX_ROW_ID) return undefined;
    const link = { subscriberId, newsletterId };
    const given = Buffer.from(match[3] as string);
    // Every key is tried (no early exit), so the time taken does not tell which key matched.
    let valid = false;
    for (const secret of [this.secret, ...this.previousSecrets]) {
      if (crypto.timingSafeEqual(Buffer.from(signature(secret, purpose, link)), given)) valid = true;
    }
    return valid ? link : undefined;
  }
}

function subject(link: SignedLink): string {
  return link.newsletterId === undefined ? `${link.subscriberId}` : `${link.subscriberId}-${link.newsletterId}`;
}

/** Address-wide links sign `<purpose>:<id>` as they always did, so links already sent stay valid. */
function signature(secret: string, purpose: LinkPurpose, link: SignedLink): string {
  const signed = link.newsletterId === undefined ? `${purpose}:${link.subscriberId}` : `${purpose}:${link.subscriberId}:${link.newsletterId}`;
  return crypto.createHmac('sha256', secret).update(signed).digest('base64url');
}
