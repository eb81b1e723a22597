import { z } from 'zod';
import { malformed, type BounceReport, type BounceType } from '../bounce-report';
import type { SnsMessage } from './sns-signature';

/**
 * Amazon SES bounce and complaint notifications, as SNS delivers them (the Message of a verified
 * Notification): notificationType (or eventType, for configuration-set event publishing) "Bounce"
 * with bounceType Permanent (hard) / Transient or Undetermined (soft), or "Complaint". One
 * notification may name several recipients: one report each. Other types (Delivery, Send...) bring none.
 */

const recipient = z.object({ emailAddress: z.string().min(3).max(320), diagnosticCode: z.string().optional(), status: z.string().optional() });

const sesNotification = z.object({
  notificationType: z.string().optional(),
  eventType: z.string().optional(),
  bounce: z
    .object({
      bounceType: z.string(),
      bounceSubType: z.string().optional(),
      feedbackId: z.string().optional(),
      bouncedRecipients: z.array(recipient).min(1),
    })
    .optional(),
  complaint: z
    .object({
      feedbackId: z.string().optional(),
      complaintFeedbackType: z.string().optional(),
      complainedRecipients: z.array(recipient).min(1),
    })
    .optional(),
  mail: z
    .object({
      messageId: z.string().optional(),
      headers: z.array(z.object({ name: z.string(), value: z.string() })).optional(),
      commonHeaders: z.object({ messageId: z.string().optional() }).optional(),
    })
    .optional(),
});

export function parseSes(sns: SnsMessage): BounceReport[] {
  let json: unknown;
  try {
    json = JSON.parse(sns.Message);
  } catch {
    throw malformed('Message is not an SES notification (not JSON)');
  }
  const parsed = sesNotification.safeParse(json);
  if (!parsed.success) throw malformed('Message is not an SES notification');
  const n = parsed.data;
  const kind = n.notificationType ?? n.eventType;
  // Our Message-ID, as the message carried it (SES gives its own id in mail.messageId).
  const messageId = n.mail?.headers?.find((h) => h.name.toLowerCase() === 'message-id')?.value ?? n.mail?.commonHeaders?.messageId;
  if (kind === 'Bounce') {
    if (!n.bounce) throw malformed('Message: a Bounce without bounce');
    const type: BounceType = n.bounce.bounceType === 'Permanent' ? 'hard' : 'soft';
    const eventId = n.bounce.feedbackId ?? sns.MessageId;
    return n.bounce.bouncedRecipients.map((r) => ({
      provider: 'ses',
      eventId,
      type,
      email: bareAddress(r.emailAddress),
      messageId,
      reason: r.diagnosticCode ?? r.status ?? n.bounce?.bounceSubType,
    }));
  }
  if (kind === 'Complaint') {
    if (!n.complaint) throw malformed('Message: a Complaint without complaint');
    // A feedback report saying "not spam" is no complaint.
    if (n.complaint.complaintFeedbackType === 'not-spam') return [];
    const eventId = n.complaint.feedbackId ?? sns.MessageId;
    return n.complaint.complainedRecipients.map((r) => ({
      provider: 'ses',
      eventId,
      type: 'complaint',
      email: bareAddress(r.emailAddress),
      messageId,
      reason: n.complaint?.complaintFeedbackType,
    }));
  }
  return [];
}

/** `Name <a@b>` -> `a@b`; SES usually sends the bare address already. */
function bareAddress(value: string): string {
  return /<([^<>]+)>\s*$/.exec(value)?.[1] ?? value;
}
