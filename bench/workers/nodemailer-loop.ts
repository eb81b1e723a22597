/**
 * The digest baseline: a plain loop of pooled nodemailer sendMail calls, the usual way to send a
 * newsletter from Node. Same SMTP pool as Bulletin's mailer (maxConnections, maxMessages), same
 * number of messages in flight as Bulletin's sender (SEND_CONCURRENCY), and an equal message: the
 * edition's own HTML and text with each recipient's links filled in, the same headers (From, To,
 * Subject, Message-ID, List-Id, List-Unsubscribe, List-Unsubscribe-Post). No database, no ledger.
 *
 * Mode `raw` is a diagnostic, not a baseline: one message prepared by Bulletin's own code
 * (PreparedDigestMime) sent again and again as a ready Buffer, so no per-message work is left but
 * nodemailer's SMTP transport: the ceiling of any sender built on it, on this machine.
 */
import crypto from 'node:crypto';
import nodemailer from 'nodemailer';
import { PreparedDigestMime } from '../../src/mail/digest-mime';
import { compileStored, escapeHtml } from '../../src/mail/personalize';
import { serve } from '../processes';

export interface LoopInput {
  mode: 'compose' | 'raw';
  smtpUrl: string;
  maxConnections: number;
  concurrency: number;
  count: number;
  from: string;
  listId: string;
  publicUrl: string;
  subject: string;
  /** The edition as stored: sealed, its unsubscribeUrl and preferencesUrl placeholders left to fill. */
  html: string;
  text: string;
  /** Sign every message with nodemailer's own DKIM signer (the transport's `dkim` option). */
  dkim?: { domainName: string; keySelector: string; privateKey: string };
}

async function send(input: LoopInput): Promise<{ startedAt: number; finishedAt: number; sent: number }> {
  const transport = nodemailer.createTransport({ url: input.smtpUrl, pool: true, maxConnections: input.maxConnections, maxMessages: 1000, dkim: input.dkim });
  // Links shaped like Bulletin's signed links (`<id>.<43-char HMAC>`), so the message sizes match.
  const link = (purpose: string, id: number) =>
    `${input.publicUrl}/${purpose}?s=${id}.${crypto.createHmac('sha256', 'k').update(`${purpose}:${id}`).digest('base64url')}`;
  const ready =
    input.mode === 'raw'
      ? Buffer.from(
          new PreparedDigestMime({ from: input.from, listId: input.listId }, input).fill({
            to: 'reader1@example.test',
            values: { unsubscribeUrl: link('unsubscribe', 1), preferencesUrl: link('preferences', 1) },
            listUnsubscribe: link('unsubscribe', 1),
          }).raw,
        )
      : undefined;
  const fillHtml = compileStored(input.html, escapeHtml);
  const fillText = compileStored(input.text);
  const envelopeFrom = /<([^>]+)>/.exec(input.from)?.[1] ?? input.from;
  const startedAt = Date.now();
  let next = 0;
  let sent = 0;
  const lane = async () => {
    for (let i = next++; i < input.count; i = next++) {
      if (ready) {
        await transport.sendMail({ envelope: { from: envelopeFrom, to: [`reader${i + 1}@example.test`] }, raw: ready });
        sent++;
        continue;
      }
      const unsubscribeUrl = link('unsubscribe', i + 1);
      const preferencesUrl = link('preferences', i + 1);
      await transport.sendMail({
        from: input.from,
        to: `reader${i + 1}@example.test`,
        subject: input.subject,
        html: fillHtml({ unsubscribeUrl, preferencesUrl }),
        text: fillText({ unsubscribeUrl, preferencesUrl }),
        messageId: `<${crypto.randomUUID()}@${input.listId}>`,
        list: { unsubscribe: [[unsubscribeUrl]], id: input.listId } as never,
        headers: { 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
      });
      sent++;
    }
  };
  await Promise.all(Array.from({ length: input.concurrency }, lane));
  const finishedAt = Date.now();
  transport.close();
  return { startedAt, finishedAt, sent };
}

serve({ send: (input: LoopInput) => send(input) });
process.on('SIGTERM', () => process.exit(0));
