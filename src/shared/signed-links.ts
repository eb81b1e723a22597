import crypto from 'node:crypto';

/**
 * Links that identify a subscriber without a login or a stored token: `<id>.<signature>`, where the
 * signature is an HMAC of the purpose and the id under SECRET_KEY. Used for the unsubscribe and
 * preferences links that every email carries, so a digest to 100,000 people needs no token rows.
 */
export type LinkPurpose = 'unsubscribe' | 'preferences';

export class SignedLinks {
  constructor(
    private readonly secret: string,
    private readonly publicUrl: string,
  ) {}

  token(purpose: LinkPurpose, subscriberId: number): string {
    return `${subscriberId}.${this.signature(purpose, subscriberId)}`;
  }

  url(purpose: LinkPurpose, subscriberId: number): string {
    return `${this.publicUrl}/${purpose}?s=${this.token(purpose, subscriberId)}`;
  }

  /** The subscriber id, or undefined when the token was not made by us for this purpose. */
  verify(purpose: LinkPurpose, token: unknown): number | undefined {
    if (typeof token !== 'string') return undefined;
    const match = /^(\d{1,10})\.([A-Za-z0-9_-]{43})$/.exec(token);
    if (!match) return undefined;
    const id = Number(match[1]);
    const expected = Buffer.from(this.signature(purpose, id));
    const given = Buffer.from(match[2] as string);
    return crypto.timingSafeEqual(expected, given) ? id : undefined;
  }

  private signature(purpose: LinkPurpose, subscriberId: number): string {
    return crypto.createHmac('sha256', this.secret).update(`${purpose}:${subscriberId}`).digest('base64url');
  }
}
