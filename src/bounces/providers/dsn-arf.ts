import type { BounceType } from '../bounce-report';
import { addressIn, contentType, header, partsOf, readEntity, readFieldGroups, readFields, type MimeEntity } from './mime-report';

/** What a DSN or ARF (or a plain-text bounce, plain-bounce.ts) says, before it is tied to a delivery. */
export interface MessageReport {
  kind: 'dsn' | 'arf' | 'plain';
  /** The recipients it reports a failure or a complaint for; none when it reports nothing to act on. */
  recipients: Array<{ email: string; type: BounceType; reason?: string }>;
  /** Why `recipients` is empty (a delay, a success, a feedback type that is no complaint). */
  skipped?: string;
  /** The Message-ID of the returned original (its message/rfc822 or text/rfc822-headers part). */
  originalMessageId?: string;
  /** An ARF's Original-Mail-From: the original's envelope sender, our VERP address when it was on. */
  originalMailFrom?: string;
}

/**
 * A DSN (RFC 3464): each per-recipient group of its message/delivery-status part. Only
 * `Action: failed` acts: Status 5.x.x (or, without one, a 5xx Diagnostic-Code) is a hard bounce,
 * 4.x.x a soft one (the MTA gave up after retrying a temporary failure). `delayed` is no failure
 * (the MTA still tries, and sends `failed` if it gives up), `delivered`, `relayed` and `expanded`
 * are successes: none of them acts, as with the ESPs, which report delays without counting them.
 */
export function readDsn(report: MimeEntity): MessageReport {
  const parts = partsOf(report);
  const status = parts.find((p) => /^message\/(global-)?delivery-status$/.test(contentType(p).type));
  const recipients: MessageReport['recipients'] = [];
  const actions = new Set<string>();
  // The first group is about the message (Reporting-MTA); each later one is about one recipient.
  for (const group of status ? readFieldGroups(status.body).slice(1) : []) {
    const action = first(group, 'action')?.toLowerCase() ?? '';
    actions.add(action);
    if (action !== 'failed') continue;
    const code = /\b([245])\.\d{1,3}\.\d{1,3}\b/.exec(first(group, 'status') ?? '');
    const diagnostic = first(group, 'diagnostic-code')?.replace(/^\s*[\w-]+\s*;\s*/, '');
    const klass = code?.[1] ?? (/^\s*5\d\d\b/.test(diagnostic ?? '') ? '5' : '4');
    recipients.push({
      email: addressIn(first(group, 'final-recipient') ?? first(group, 'original-recipient')) ?? '',
      type: klass === '5' ? 'hard' : 'soft',
      reason: diagnostic ?? (code ? `Status ${code[0]}` : undefined),
    });
  }
  const skipped = recipients.length ? undefined : actions.size ? `no failed recipient (Action: ${[...actions].join(', ')})` : 'no per-recipient fields';
  return { kind: 'dsn', recipients, skipped, originalMessageId: returnedMessageId(parts) };
}

/**
 * Feedback types that are a reader's complaint: `abuse` (the spam button) and `opt-out` (the
 * older feedback loops' "unsubscribe me"). `fraud`, `virus`, `auth-failure`, `not-spam` and
 * `other` say nothing about the reader's wish and are not acted on.
 */
const COMPLAINT_TYPES = new Set(['abuse', 'opt-out']);

/** An ARF report (RFC 5965): its message/feedback-report part, and the original's headers. */
export function readArf(report: MimeEntity): MessageReport {
  const parts = partsOf(report);
  const feedback = parts.find((p) => contentType(p).type === 'message/feedback-report');
  const fields = readFields(feedback?.body ?? '');
  const feedbackType = first(fields, 'feedback-type')?.toLowerCase() ?? '';
  const original = returned(parts);
  const base = {
    kind: 'arf' as const,
    originalMessageId: original && header(original, 'message-id'),
    originalMailFrom: addressIn(first(fields, 'original-mail-from')),
  };
  if (!COMPLAINT_TYPES.has(feedbackType)) return { ...base, recipients: [], skipped: `feedback type "${feedbackType || 'none'}" is no complaint` };
  // Mailbox providers may redact the address; the delivery then names the reader.
  const email = addressIn(first(fields, 'original-rcpt-to')) ?? addressIn(original && header(original, 'to')) ?? '';
  return { ...base, recipients: [{ email, type: 'complaint', reason: `Feedback-Type: ${feedbackType}` }] };
}

/** The returned original (message/rfc822, or text/rfc822-headers with the headers only). */
function returned(parts: MimeEntity[]): MimeEntity | undefined {
  const part = parts.find((p) => /^(message\/(global|rfc822)|text\/rfc822-headers|message\/global-headers)$/.test(contentType(p).type));
  return part && readEntity(part.body);
}

function returnedMessageId(parts: MimeEntity[]): string | undefined {
  const original = returned(parts);
  return original && header(original, 'message-id');
}

function first(fields: Map<string, string[]>, name: string): string | undefined {
  return fields.get(name)?.[0];
}
