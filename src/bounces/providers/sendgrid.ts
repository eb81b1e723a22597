import crypto from 'node:crypto';
import { z } from 'zod';
import { malformed, parseJson, rejected, isFresh, sha256, type BounceReport, type BounceType, type WebhookRequest } from '../bounce-report';

/**
 * SendGrid's Signed Event Webhook: `X-Twilio-Email-Event-Webhook-Signature` is a base64 DER
 * ECDSA (P-256, SHA-256) signature of the `X-Twilio-Email-Event-Webhook-Timestamp` value followed
 * by the raw body, checked with the verification key SendGrid shows (BOUNCE_SENDGRID_PUBLIC_KEY).
 *
 * The body is signed, so an old request cannot carry other events; a copy changes nothing (each
 * event's key is its sg_event_id). The timestamp is allowed to be a day old, as long as SendGrid
 * retries a failed post, so that a retry carrying its first signature is not lost.
 */
export const SENDGRID_SIGNATURE_HEADER = 'x-twilio-email-event-webhook-signature';
export const SENDGRID_TIMESTAMP_HEADER = 'x-twilio-email-event-webhook-timestamp';
const SENDGRID_TOLERANCE_SECONDS = 24 * 3600;

export function verifySendGrid(request: WebhookRequest, publicKey: crypto.KeyObject, now: Date): void {
  const signature = request.headers[SENDGRID_SIGNATURE_HEADER];
  const timestamp = request.headers[SENDGRID_TIMESTAMP_HEADER];
  if (!signature || !timestamp) throw rejected(`${SENDGRID_SIGNATURE_HEADER} and ${SENDGRID_TIMESTAMP_HEADER} are required`);
  const signed = Buffer.concat([Buffer.from(timestamp, 'utf8'), request.body]);
  let valid = false;
  try {
    valid = crypto.verify('sha256', signed, { key: publicKey, dsaEncoding: 'der' }, Buffer.from(signature, 'base64'));
  } catch {
    valid = false; // a signature that is not DER at all
  }
  if (!valid) throw rejected('bad signature');
  if (!isFresh(timestamp, now, SENDGRID_TOLERANCE_SECONDS)) throw rejected('timestamp more than a day from now (replay?)');
}

const sendGridEvent = z.object({
  event: z.string(),
  email: z.string().min(3).max(320),
  sg_event_id: z.string().max(255).optional(),
  'smtp-id': z.string().max(998).optional(),
  type: z.string().optional(),
  reason: z.string().optional(),
  status: z.string().optional(),
});

/**
 * The events that concern a mailbox: `bounce` (type "bounce": hard; type "blocked": soft, the
 * receiver refused this message), `blocked` (soft), `dropped` for an address SendGrid holds as
 * bounced or invalid (hard), `spamreport` (complaint). Deliveries, opens, clicks, deferrals and
 * events that are not objects with an address are passed over: a batch is taken whole.
 */
export function parseSendGrid(request: WebhookRequest): BounceReport[] {
  const events = parseJson(request.body);
  if (!Array.isArray(events)) throw malformed('is not an array of SendGrid events');
  const reports: BounceReport[] = [];
  for (const raw of events) {
    const parsed = sendGridEvent.safeParse(raw);
    if (!parsed.success) continue;
    const e = parsed.data;
    const type = typeOf(e);
    if (!type) continue;
    reports.push({
      provider: 'sendgrid',
      eventId: e.sg_event_id ?? `event:${sha256(JSON.stringify(raw))}`,
      type,
      email: e.email,
      messageId: e['smtp-id'],
      reason: e.reason ?? e.status,
    });
  }
  return reports;
}

function typeOf(e: z.infer<typeof sendGridEvent>): BounceType | undefined {
  switch (e.event) {
    case 'bounce':
      return e.type === 'blocked' ? 'soft' : 'hard';
    case 'blocked':
      return 'soft';
    case 'dropped':
      return /^(Bounced Address|Invalid)/i.test(e.reason ?? '') ? 'hard' : undefined;
    case 'spamreport':
      return 'complaint';
    default:
      return undefined;
  }
}
