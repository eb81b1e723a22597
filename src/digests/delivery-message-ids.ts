import crypto from 'node:crypto';
import { MAX_ROW_ID } from '../shared/row-id';
import type { DeliveryKey } from './delivery-ledger';

/**
 * The Message-ID of a delivery names it: `<digestId.subscriberId.signature@domain>`. A bounce or
 * complaint report that quotes the Message-ID (SES, Mailgun, SendGrid and the generic webhook do)
 * then leads to its delivery by the ledger's primary key, with no index on message_id and nothing
 * stored per message; retries of one delivery carry the same Message-ID.
 *
 * The signature (an HMAC under SECRET_KEY, 128 bits) keeps a Message-ID that merely looks like
 * ours (a forwarded message, a typo) from being taken for a delivery. Keys rotated into
 * SECRET_KEY_PREVIOUS still read the Message-IDs they signed. The domain is not checked: it is the
 * newsletter's List-Id, which an operator may change.
 */
export class DeliveryMessageIds {
  constructor(
    private readonly secret: string,
    private readonly previousSecrets: readonly string[] = [],
  ) {}

  /** The part before the `@`; the mail layer adds the domain. */
  localPart(key: DeliveryKey): string {
    return `${key.digestId}.${key.subscriberId}.${signature(this.secret, key)}`;
  }

  /** The delivery a Message-ID (with or without its angle brackets) names, or undefined when it is not one of ours. */
  parse(messageId: string | undefined): DeliveryKey | undefined {
    if (!messageId) return undefined;
    const match = /^<?([1-9]\d{0,9})\.([1-9]\d{0,9})\.([A-Za-z0-9_-]{22})@[^<>@\s]+>?$/.exec(messageId.trim());
    if (!match) return undefined;
    const key = { digestId: Number(match[1]), subscriberId: Number(match[2]) };
    if (key.digestId > MAX_ROW_ID || key.subscriberId > MAX_ROW_ID) return undefined;
    const given = Buffer.from(match[3] as string);
    let valid = false;
    // Every key is tried, so the time taken does not tell which one matched.
    for (const secret of [this.secret, ...this.previousSecrets]) {
      if (crypto.timingSafeEqual(Buffer.from(signature(secret, key)), given)) valid = true;
    }
    return valid ? key : undefined;
  }
}

function signature(secret: string, key: DeliveryKey): string {
  return crypto.createHmac('sha256', secret).update(`message-id:${key.digestId}.${key.subscriberId}`).digest('base64url').slice(0, 22);
}
