import crypto from 'node:crypto';
import { z } from 'zod';
import { fieldErrors, validationError } from '../../shared/errors';
import {
  isFresh,
  parseJson,
  rejected,
  sha256,
  SIGNATURE_TOLERANCE_SECONDS,
  type BounceReport,
  type WebhookRequest,
} from '../bounce-report';

/**
 * The generic door (POST /webhooks/bounces), for a relay or script of the operator's own:
 * `X-Bulletin-Timestamp: <Unix seconds>` and
 * `X-Bulletin-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>" under BOUNCE_WEBHOOK_SECRET>`.
 * The timestamp is signed with the body, so a captured request is refused once it is older than
 * five minutes, and within them the report's key makes a second copy change nothing.
 */

export const GENERIC_SIGNATURE_HEADER = 'x-bulletin-signature';
export const GENERIC_TIMESTAMP_HEADER = 'x-bulletin-timestamp';

/** The signature header's value for a body signed at `timestamp` (what a sender computes). */
export function genericSignature(secret: string, timestamp: string, body: string | Buffer): string {
  return `sha256=${crypto.createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex')}`;
}

export function verifyGeneric(request: WebhookRequest, secret: string, now: Date): void {
  const timestamp = request.headers[GENERIC_TIMESTAMP_HEADER];
  const given = request.headers[GENERIC_SIGNATURE_HEADER];
  if (!given || !timestamp) throw rejected(`${GENERIC_SIGNATURE_HEADER} and ${GENERIC_TIMESTAMP_HEADER} are required`);
  const expected = Buffer.from(genericSignature(secret, timestamp, request.body));
  const offered = Buffer.from(given);
  // timingSafeEqual needs equal lengths; a length that differs tells nothing about the secret.
  if (offered.length !== expected.length || !crypto.timingSafeEqual(offered, expected)) throw rejected('bad signature');
  if (!isFresh(timestamp, now, SIGNATURE_TOLERANCE_SECONDS)) throw rejected('timestamp outside five minutes of now (replay?)');
}

const genericBody = z.strictObject({
  email: z.string().trim().toLowerCase().pipe(z.email()),
  type: z.enum(['hard', 'soft', 'complaint']),
  messageId: z.string().trim().min(3).max(998).optional(),
  reason: z.string().max(10_000).optional(),
  /** The sender's own id of the event: two reports with one id are one report. */
  id: z.string().trim().min(1).max(255).optional(),
});

/**
 * The report's identity: the sender's `id`; else its Message-ID (a message bounces once of each
 * type); else this very request (timestamp and body), so a copy of it is one report while a
 * new report about the same address, signed at another time, counts again.
 */
export function parseGeneric(request: WebhookRequest): BounceReport {
  const parsed = genericBody.safeParse(parseJson(request.body));
  if (!parsed.success) throw validationError(fieldErrors(parsed.error));
  const { email, type, messageId, reason, id } = parsed.data;
  const eventId = id ?? (messageId ? `message:${type}:${messageId}` : `request:${request.headers[GENERIC_TIMESTAMP_HEADER]}:${sha256(request.body)}`);
  return { provider: 'generic', eventId, type, email, messageId, reason };
}
