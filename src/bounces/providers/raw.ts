import crypto from 'node:crypto';
import type { DeliveryKey } from '../../digests/delivery-ledger';
import { isFresh, rejected, sha256, SIGNATURE_TOLERANCE_SECONDS, type BounceReport, type WebhookRequest } from '../bounce-report';
import { readDsn, readArf, type MessageReport } from './dsn-arf';
import { readPlainBounce } from './plain-bounce';
import { addressIn, contentType, findReport, header, readEntity, type MimeEntity } from './mime-report';

/**
 * The raw door (POST /webhooks/bounces/raw): a whole bounce (DSN, or a mail system's plain text:
 * plain-bounce.ts) or complaint (ARF) message as the body, from a Postfix pipe or a mailbox fetcher (scripts/bounce-pipe.sh). Signed like the
 * generic door, but the signature also covers the envelope recipient the MTA delivered the message
 * to (the VERP address, `X-Bulletin-Envelope-To`, may be empty):
 * `X-Bulletin-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<envelope-to>.<raw message>" under BOUNCE_RAW_SECRET>`.
 */

export const RAW_SIGNATURE_HEADER = 'x-bulletin-signature';
export const RAW_TIMESTAMP_HEADER = 'x-bulletin-timestamp';
export const RAW_ENVELOPE_TO_HEADER = 'x-bulletin-envelope-to';

export function rawSignature(secret: string, timestamp: string, envelopeTo: string, body: string | Buffer): string {
  return `sha256=${crypto.createHmac('sha256', secret).update(`${timestamp}.${envelopeTo}.`).update(body).digest('hex')}`;
}

export function verifyRaw(request: WebhookRequest, secret: string, now: Date): void {
  const timestamp = request.headers[RAW_TIMESTAMP_HEADER];
  const given = request.headers[RAW_SIGNATURE_HEADER];
  if (!given || !timestamp) throw rejected(`${RAW_SIGNATURE_HEADER} and ${RAW_TIMESTAMP_HEADER} are required`);
  const expected = Buffer.from(rawSignature(secret, timestamp, request.headers[RAW_ENVELOPE_TO_HEADER] ?? '', request.body));
  const offered = Buffer.from(given);
  if (offered.length !== expected.length || !crypto.timingSafeEqual(offered, expected)) throw rejected('bad signature');
  if (!isFresh(timestamp, now, SIGNATURE_TOLERANCE_SECONDS)) throw rejected('timestamp outside five minutes of now (replay?)');
}

/** What names a delivery: our signed Message-IDs and VERP return paths (src/digests/delivery-message-ids.ts). */
export interface DeliveryReferences {
  parse(messageId: string | undefined): DeliveryKey | undefined;
  parseBounceAddress(address: string | undefined): DeliveryKey | undefined;
}

/** The reports a message brings, or why it brings none (answered 200: a pipe must not retry it). */
export type RawResult = { reports: BounceReport[]; ignored?: undefined } | { reports: []; ignored: string };

/**
 * A raw message's reports. Anyone can send mail to a bounce address, so an address in a message
 * is never enough: a report acts only when the message names one of Bulletin's deliveries, by a
 * signed VERP return path (the envelope recipient, else the message's Delivered-To, X-Original-To,
 * To, or an ARF's Original-Mail-From) or by the signed Message-ID in the returned headers; and the
 * reader it acts on is that delivery's. Only the reader a delivery went to can forge one.
 */
export function parseRaw(request: WebhookRequest, refs: DeliveryReferences): RawResult {
  const message = readEntity(request.body.toString('latin1'));
  const read = readMessageReport(message);
  if (!read) return { reports: [], ignored: 'not a DSN, an ARF or a mail system\'s plain-text bounce' };
  if (!read.recipients.length) return { reports: [], ignored: read.skipped ?? 'no failed recipient' };

  const verpCandidates = [
    request.headers[RAW_ENVELOPE_TO_HEADER],
    ...['delivered-to', 'x-original-to', 'to'].map((name) => header(message, name)),
    read.originalMailFrom,
  ];
  const delivery = firstOf(verpCandidates.map((a) => refs.parseBounceAddress(addressIn(a)))) ?? refs.parse(read.originalMessageId);
  if (!delivery) return { reports: [], ignored: 'names no delivery of Bulletin (no signed VERP address or Message-ID)' };

  // The report's own Message-ID makes a re-delivered bounce one report; without one, its bytes do.
  const eventId = `${read.kind}:${header(message, 'message-id') ?? sha256(request.body)}`;
  return {
    reports: read.recipients.map((r) => ({
      provider: 'raw',
      eventId,
      type: r.type,
      email: r.email || `delivery:${delivery.digestId}.${delivery.subscriberId}`,
      messageId: read.originalMessageId,
      delivery,
      reason: r.reason,
    })),
  };
}

/** What the message reports: its DSN or ARF part, or without a multipart/report, a plain-text bounce. */
function readMessageReport(message: MimeEntity): MessageReport | undefined {
  const report = findReport(message);
  if (!report) return readPlainBounce(message);
  const reportType = contentType(report).params['report-type']?.toLowerCase();
  if (reportType === 'delivery-status') return readDsn(report);
  if (reportType === 'feedback-report') return readArf(report);
  return undefined;
}

function firstOf<T>(values: Array<T | undefined>): T | undefined {
  return values.find((v) => v !== undefined);
}
