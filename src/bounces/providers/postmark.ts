import { z } from 'zod';
import { malformed, parseJson, rejected, sameSecret, type BounceReport, type BounceType, type WebhookRequest } from '../bounce-report';

/**
 * Postmark's Bounce and Spam Complaint webhooks. Postmark signs nothing: it sends the HTTP Basic
 * credentials written into the webhook's URL (https://user:password@host/webhooks/bounces/postmark),
 * compared here in constant time with BOUNCE_POSTMARK_CREDENTIALS. Nothing in a request tells a
 * replay from a retry, so the report's key (Postmark's ID) makes a copy change nothing.
 */
export function verifyPostmark(request: WebhookRequest, credentials: string): void {
  const header = request.headers.authorization ?? '';
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header.trim());
  if (!match) throw rejected('Basic credentials required');
  if (!sameSecret(Buffer.from(match[1] as string, 'base64').toString('utf8'), credentials)) throw rejected('wrong credentials');
}

/**
 * Bounce types (Postmark's "Bounce types" list) that say the address is wrong, or that this
 * message could not get through; the others (AutoResponder, Subscribe, DMARCPolicy, a template
 * error...) are not about the reader's mailbox and bring no report.
 */
const TYPES: Record<string, BounceType> = {
  HardBounce: 'hard',
  BadEmailAddress: 'hard',
  SoftBounce: 'soft',
  Transient: 'soft',
  DnsError: 'soft',
  SpamNotification: 'soft',
  Blocked: 'soft',
  SpamComplaint: 'complaint',
};

const postmarkRecord = z.object({
  RecordType: z.string(),
  ID: z.union([z.number(), z.string()]),
  Type: z.string().optional(),
  Email: z.string().min(3).max(320),
  Details: z.string().optional(),
  Description: z.string().optional(),
});

export function parsePostmark(request: WebhookRequest): BounceReport[] {
  const parsed = postmarkRecord.safeParse(parseJson(request.body));
  if (!parsed.success) throw malformed('is not a Postmark Bounce or SpamComplaint record');
  const record = parsed.data;
  if (record.RecordType !== 'Bounce' && record.RecordType !== 'SpamComplaint') return [];
  const type = record.RecordType === 'SpamComplaint' ? 'complaint' : TYPES[record.Type ?? ''];
  if (!type) return [];
  return [{ provider: 'postmark', eventId: String(record.ID), type, email: record.Email, reason: record.Details || record.Description }];
}
