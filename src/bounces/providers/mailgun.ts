import crypto from 'node:crypto';
import { z } from 'zod';
import type { Nonce } from '../bounce-reports';
import {
  isFresh,
  malformed,
  parseJson,
  rejected,
  SIGNATURE_TOLERANCE_SECONDS,
  type BounceReport,
  type BounceType,
  type WebhookRequest,
} from '../bounce-report';

/**
 * Mailgun webhooks (JSON, `{signature: {timestamp, token, signature}, "event-data": {...}}`):
 * the signature is the hex HMAC-SHA256 of timestamp + token under the webhook signing key. It does
 * not cover event-data, so a captured signature could carry another body: each token is taken
 * once (spent with the report, in its transaction), and a timestamp more than five minutes from
 * now is refused.
 */

const mailgunSignature = z.object({
  signature: z.object({ timestamp: z.string().max(20), token: z.string().min(1).max(256), signature: z.string().max(256) }),
});

const mailgunBody = z.object({
  'event-data': z.object({
    event: z.string(),
    id: z.string().min(1).max(255),
    severity: z.string().optional(),
    reason: z.string().optional(),
    recipient: z.string().max(320).optional(),
    message: z.object({ headers: z.record(z.string(), z.unknown()).optional() }).optional(),
    'delivery-status': z.object({ description: z.string().optional(), message: z.string().optional() }).optional(),
  }),
});

export type MailgunBody = z.infer<typeof mailgunBody>;

/** The signed body and its token (to spend as a nonce); 401 when the signature or its time is wrong. */
export function verifyMailgun(request: WebhookRequest, signingKey: string, now: Date): { body: MailgunBody; nonce: Nonce } {
  const json = parseJson(request.body);
  // The signature first: an unsigned request learns nothing about what a body should hold.
  const signed = mailgunSignature.safeParse(json);
  if (!signed.success) throw rejected('signature {timestamp, token, signature} required');
  const { timestamp, token, signature } = signed.data.signature;
  const expected = Buffer.from(crypto.createHmac('sha256', signingKey).update(timestamp + token).digest('hex'));
  const given = Buffer.from(signature.toLowerCase());
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) throw rejected('bad signature');
  if (!isFresh(timestamp, now, SIGNATURE_TOLERANCE_SECONDS)) throw rejected('timestamp outside five minutes of now (replay?)');
  const body = mailgunBody.safeParse(json);
  if (!body.success) throw malformed('event-data is not a Mailgun event');
  return { body: body.data, nonce: { provider: 'mailgun', value: token, freshSeconds: SIGNATURE_TOLERANCE_SECONDS } };
}

/**
 * `failed` with severity permanent is a hard bounce, temporary a soft one; `complained` a
 * complaint; other events bring no report. Two cases read otherwise: a permanent failure with
 * reason "old" is Mailgun giving up after its retries (the mailbox was unreachable for hours,
 * not proven wrong: soft), and Mailgun emits a temporary failure per retry of one message, so
 * those count once per message (their key is the Message-ID, not the event id). A refusal because
 * of Mailgun's own unsubscribe list says nothing of the mailbox: no report.
 */
export function parseMailgun(body: MailgunBody): BounceReport[] {
  const e = body['event-data'];
  if (!e.recipient) return [];
  const header = e.message?.headers?.['message-id'];
  const messageId = typeof header === 'string' ? header : undefined;
  const reason = e['delivery-status']?.description || e['delivery-status']?.message || e.reason;
  const type = typeOf(e);
  if (!type) return [];
  const eventId = type === 'soft' && messageId ? `soft:${messageId}` : e.id;
  return [{ provider: 'mailgun', eventId, type, email: e.recipient, messageId, reason }];
}

function typeOf(e: MailgunBody['event-data']): BounceType | undefined {
  if (e.event === 'complained') return 'complaint';
  if (e.event !== 'failed') return undefined;
  if (e.severity === 'temporary') return 'soft';
  if (e.severity !== 'permanent') return undefined;
  if (e.reason === 'old') return 'soft';
  if (e.reason === 'suppress-unsubscribe') return undefined;
  return 'hard';
}
