import type { MessageReport } from './dsn-arf';
import { addressIn, contentType, header, partsOf, type MimeEntity } from './mime-report';

/** The local part a mail system's notices come from (RFC 5321 4.5.1, RFC 2142). */
const MAIL_SYSTEM = /^(mailer-daemon|postmaster|mail-daemon)$/i;

/**
 * Where the notice ends and the returned original begins: qmail's and Exim's own lines, or the
 * usual separators. The original is our email: its words must not be read as the failure.
 */
const RETURNED_COPY = /^(--- Below this line is a copy of the message\.|-{3,}[ \t]*This is a copy of the message|-{3,}[ \t]*(Original|Returned) message|Return-Path:|Received:)/im;

/** A notice is a few lines; what follows is not read, so no pattern runs over a whole message. */
const NOTICE_CHARS = 8192;

/**
 * An enhanced status (RFC 3463; qmail writes it as `(#5.1.1)`; not the start of an IP address), or
 * an SMTP reply code that opens a line.
 */
const STATUS = /(?:^|[\s#(])([245])\.\d{1,3}\.\d{1,3}(?![.\d])|^[ \t]*([45])\d\d[ \t-]/m;

/** qmail's sentence for a failure it will not retry; its "has been in the queue too long" is a soft one. */
const PERMANENT = /\bThis is a permanent error\b/i;

/** The notice of a delay: the MTA still tries, and sends a failure if it gives up (as with a DSN's `delayed`). */
const DELAY = /\b(has been delayed|not yet been delivered|will (keep|continue) (trying|to try|to be made)|still trying)\b/i;

/**
 * A bounce without a DSN: the plain-text notice that qmail (and some older MTAs) send, e.g.
 *
 *     Hi. This is the qmail-send program at mx.example.net.
 *     I'm afraid I wasn't able to deliver your message to the following addresses.
 *     This is a permanent error; I've given up. Sorry it didn't work out.
 *
 *     <reader@example.net>:
 *     Sorry, no mailbox here by that name. (#5.1.1)
 *
 * A plain-text message to a bounce address is as often an auto-reply, and a hard bounce suppresses
 * the reader, so it is read only when it comes from the mail system (From: MAILER-DAEMON or
 * postmaster: an auto-reply comes from its person; mail systems too mark their bounces
 * `Auto-Submitted: auto-replied`, so that header tells nothing) and states a failure before the
 * returned copy: an enhanced status or SMTP reply code (5 hard, 4 soft), or qmail's "permanent
 * error" (hard). Anything else, a delay notice included, reads as no report.
 */
export function readPlainBounce(message: MimeEntity): MessageReport | undefined {
  const sender = addressIn(header(message, 'from'))?.split('@')[0] ?? '';
  if (!MAIL_SYSTEM.test(sender)) return undefined;

  const text = textOf(message);
  if (text === undefined) return undefined;
  const cut = RETURNED_COPY.exec(text);
  const notice = (cut ? text.slice(0, cut.index) : text).slice(0, NOTICE_CHARS);
  const original = cut ? text.slice(cut.index, cut.index + 4 * NOTICE_CHARS) : '';
  const originalMessageId = /^Message-ID:[ \t]*(<[^>\s]+>)/im.exec(original)?.[1];
  if (DELAY.test(notice)) return { kind: 'plain', recipients: [], skipped: 'a delay notice, no failure', originalMessageId };

  const status = STATUS.exec(notice);
  const klass = status ? (status[1] ?? status[2]) : PERMANENT.test(notice) ? '5' : undefined;
  if (klass !== '5' && klass !== '4') return { kind: 'plain', recipients: [], skipped: 'a plain-text notice that states no failure', originalMessageId };
  return {
    kind: 'plain',
    recipients: [{ email: failedAddress(notice) ?? '', type: klass === '5' ? 'hard' : 'soft', reason: diagnostic(notice, status) }],
    originalMessageId,
  };
}

/** The text of a single-part text/plain message, or of its first text/plain part. */
function textOf(message: MimeEntity): string | undefined {
  const type = contentType(message).type;
  if (type === 'text/plain') return message.body;
  if (!type.startsWith('multipart/')) return undefined;
  return partsOf(message).find((p) => contentType(p).type === 'text/plain')?.body;
}

/** qmail's `<address>:` line, or the first address alone on an indented line (Exim's list). */
function failedAddress(notice: string): string | undefined {
  const line = /^[ \t]*<([^<>\s@]+@[^<>\s@]+)>:?[ \t]*$/m.exec(notice) ?? /^[ \t]+([^<>\s@]+@[^<>\s@]+)[ \t]*$/m.exec(notice);
  return line?.[1]?.toLowerCase();
}

/** The line that carries the status, as the receiving server gave it. */
function diagnostic(notice: string, status: RegExpExecArray | null): string | undefined {
  if (!status) return 'This is a permanent error';
  const start = notice.lastIndexOf('\n', status.index) + 1;
  const end = notice.indexOf('\n', status.index + 1);
  return notice.slice(start, end < 0 ? undefined : end).trim() || undefined;
}
