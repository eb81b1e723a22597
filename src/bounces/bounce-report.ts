import crypto from 'node:crypto';
import type { DeliveryKey } from '../digests/delivery-ledger';
import type { BounceProvider, BounceType } from '../generated/prisma/enums';
import { AppError, validationError } from '../shared/errors';

export type { BounceProvider, BounceType } from '../generated/prisma/enums';

/**
 * A bounce or complaint as every door hands it on, whatever the provider's format: each provider's
 * module verifies its request and parses it into these, and BounceReports acts on them.
 */
export interface BounceReport {
  provider: BounceProvider;
  /**
   * What the provider calls this event (SNS MessageId, Postmark ID, Mailgun event id, SendGrid
   * sg_event_id...): with the provider and the address, what makes the report one of a kind.
   */
  eventId: string;
  type: BounceType;
  email: string;
  /** The Message-ID of the message it answers, when the provider quotes it. */
  messageId?: string;
  /** The delivery, when the door has already read it from a signed reference (the raw door's VERP address). */
  delivery?: DeliveryKey;
  /** The provider's diagnostic, as given. */
  reason?: string;
}

/** What a webhook door receives: header names in lower case, and the body as bytes (signatures cover the bytes). */
export interface WebhookRequest {
  headers: Readonly<Record<string, string | undefined>>;
  body: Buffer;
}

/** The longest reason kept: diagnostics are one SMTP reply or a sentence. */
export const REASON_MAX = 500;

/** The report's unique key (bounce_reports.event_key): one per provider event and address. */
export function eventKey(report: Pick<BounceReport, 'provider' | 'eventId' | 'email'>): string {
  return sha256(`${report.provider}\n${report.eventId}\n${normaliseAddress(report.email)}`);
}

export function normaliseAddress(email: string): string {
  return email.trim().toLowerCase();
}

export function sha256(text: string | Buffer): string {
  return crypto.createHash('sha256').update(text).digest('hex');
}

/**
 * Equal strings, compared in constant time: their SHA-256 digests are compared, which have one
 * length, so neither the content nor the length of the expected secret shows in the time taken.
 */
export function sameSecret(given: string, expected: string): boolean {
  const a = crypto.createHash('sha256').update(given).digest();
  const b = crypto.createHash('sha256').update(expected).digest();
  return crypto.timingSafeEqual(a, b);
}

/** A request that is not the provider's (bad or missing signature, replay): 401, and nothing changes. */
export function rejected(why: string): AppError {
  return new AppError('UNAUTHORIZED', `Webhook refused: ${why}`);
}

/** A signed request whose body cannot be read as the provider's format: 400 naming why. */
export function malformed(why: string): AppError {
  return validationError({ body: why });
}

/** JSON from the raw body, or a 400 saying it is not. */
export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw malformed('is not valid JSON');
  }
}

/**
 * Whether a signed Unix time (seconds) is within `toleranceSeconds` of now: older (or far future)
 * requests are refused as replays, so a captured request cannot be sent again later.
 */
export function isFresh(timestamp: string | undefined, now: Date, toleranceSeconds: number): boolean {
  if (!timestamp || !/^\d{1,12}$/.test(timestamp)) return false;
  return Math.abs(now.getTime() / 1000 - Number(timestamp)) <= toleranceSeconds;
}

/** How far a signed timestamp may be from now: Stripe's and Standard Webhooks' five minutes. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;
