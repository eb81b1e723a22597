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

  /**
   * The delivery's tag for a VERP envelope sender (`bounces+<tag>@domain`): `digestId.subscriberId.`
   * and 100 bits of its own HMAC in lower-case base32, since MTAs may lower-case a local part (a
   * base64 signature would no longer verify). 20 + up to 22 characters keep the local part under
   * the 64 that SMTP allows.
   */
  bounceTag(key: DeliveryKey): string {
    return `${key.digestId}.${key.subscriberId}.${tagSignature(this.secret, key)}`;
  }

  /** The delivery a VERP address (`local+tag@domain`, any case) names, or undefined when it names none of ours. */
  parseBounceAddress(address: string | undefined): DeliveryKey | undefined {
    if (!address) return undefined;
    const match = /\+([1-9]\d{0,9})\.([1-9]\d{0,9})\.([a-z2-7]{20})@[^<>@\s]+$/.exec(address.trim().replace(/^<|>$/g, '').toLowerCase());
    if (!match) return undefined;
    const key = { digestId: Number(match[1]), subscriberId: Number(match[2]) };
    if (key.digestId > MAX_ROW_ID || key.subscriberId > MAX_ROW_ID) return undefined;
    const given = Buffer.from(match[3] as string);
    let valid = false;
    for (const secret of [this.secret, ...this.previousSecrets]) {
      if (crypto.timingSafeEqual(Buffer.from(tagSignature(secret, key)), given)) valid = true;
    }
    return valid ? key : undefined;
  }
}

function signature(secret: string, key: DeliveryKey): string {
  return crypto.createHmac('sha256', secret).update(`message-id:${key.digestId}.${key.subscriberId}`).digest('base64url').slice(0, 22);
}

/** Its own purpose string: a Message-ID's signature and a return path's never stand in for each other. */
function tagSignature(secret: string, key: DeliveryKey): string {
  const mac = crypto.createHmac('sha256', secret).update(`return-path:${key.digestId}.${key.subscriberId}`).digest();
  return base32(mac.subarray(0, 13)).slice(0, 20);
}

/** RFC 4648 base32 in lower case (a-z, 2-7): survives an MTA that changes a local part's case. */
function base32(bytes: Buffer): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}
