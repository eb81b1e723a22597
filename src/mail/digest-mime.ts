import crypto from 'node:crypto';
import { encodeWords, foldLines } from 'nodemailer/lib/mime-funcs';
import { escapeHtml, splitStored } from './personalize';
import { smtpSafe } from './smtp-data';

/**
 * The digest fast path: the complete MIME message (headers + multipart/alternative text + html) is
 * prepared ONCE per digest, and each recipient's copy only joins precomputed Buffers with their
 * values into one Buffer, ready for the SMTP socket.
 *
 * The bodies are base64 (quoted-printable would wrap lines through a placeholder and escape its '='
 * signs). Base64 turns every 3 bytes into 4 characters on their own, so the literal text between
 * two placeholders is encoded once per digest for each of the 3 ways it can sit against a 3-byte
 * boundary; per recipient only the few bytes around each value (its link) are encoded. Every
 * segment ends its last line early, which base64 allows (lines of at most 76 characters).
 */

export interface DigestMimeSettings {
  from: string;
  listId: string;
  /** The list's name in List-Id (`"<name>" <<id>>`), when it has one. */
  listName?: string;
  unsubscribeMailto?: string;
  /** Where readers' replies go (MAIL_REPLY_TO). */
  replyTo?: string;
  /** Gmail's SenderId, the last field of Feedback-ID (FEEDBACK_ID_SENDER, or from `from`'s domain). */
  feedbackSenderId?: string;
  /** The whole Feedback-ID of one edition's messages (newsletterMimeSettings makes it). */
  feedbackId?: string;
}

/** What the messages of one newsletter's editions take from it (null: the configuration's). */
export interface NewsletterSender {
  slug: string;
  name: string;
  fromName: string | null;
  replyTo: string | null;
}

/**
 * The settings of one newsletter's messages: its sender name on the configured address, its
 * Reply-To, and a List-Id of its own (`"<name>" <<slug>.<LIST_ID>>`), so mail clients file and
 * unsubscribe each newsletter apart.
 */
export function newsletterMimeSettings(base: DigestMimeSettings, newsletter: NewsletterSender, editionId?: number): DigestMimeSettings {
  return {
    ...base,
    feedbackId: editionId === undefined ? undefined : feedbackId(editionId, newsletter.slug, base.feedbackSenderId ?? feedbackSenderIdOf(base.from)),
    from: newsletter.fromName ? mailbox(newsletter.fromName, addressOf(base.from)) : base.from,
    replyTo: newsletter.replyTo ?? base.replyTo,
    listId: `${newsletter.slug}.${base.listId}`,
    listName: newsletter.name,
  };
}

export interface DigestContent {
  subject: string;
  /** CSS-inlined HTML as stored, sealed with its placeholders (see personalize.ts). */
  html: string;
  /** Plain text, sealed the same way. */
  text: string;
}

/**
 * One recipient's copy. This module knows no placeholder by name: `values` holds whatever the
 * renderer declared (Ghost's replacement definitions), and only the header that needs a value of
 * its own takes it explicitly.
 */
export interface DigestRecipient {
  to: string;
  /** Placeholder name -> this recipient's value; a name without a value is filled with ''. */
  values: Readonly<Record<string, string>>;
  /** The URL of the List-Unsubscribe header (RFC 2369, one-click per RFC 8058). */
  listUnsubscribe: string;
  /**
   * The Message-ID's part before the `@` (the domain is the List-Id's): a delivery's names it, so a
   * bounce report quoting it leads back to the delivery. Unset: a random one.
   */
  messageIdLocalPart?: string;
}

export interface FilledDigest {
  raw: Buffer;
  messageId: string;
}

export class PreparedDigestMime {
  private readonly html: Base64Template;
  private readonly text: Base64Template;
  private readonly fixedHeaders: string;
  private readonly textPartHead: string;
  private readonly htmlPartHead: Buffer;
  private readonly closing: Buffer;
  private readonly messageIdDomain: string;
  private readonly mailto: string | undefined;

  constructor(settings: DigestMimeSettings, content: DigestContent) {
    this.html = new Base64Template(content.html, escapeHtml);
    this.text = new Base64Template(content.text);
    const boundary = `----bulletin-${crypto.randomBytes(12).toString('hex')}`;
    this.messageIdDomain = headerSafe(settings.listId).replace(/[^A-Za-z0-9.-]/g, '') || 'bulletin.localhost';
    this.mailto = settings.unsubscribeMailto
      ? `<mailto:${headerSafe(settings.unsubscribeMailto)}?subject=unsubscribe>`
      : undefined;
    // Headers the same for every copy: encoded and folded once.
    this.fixedHeaders = [
      foldLines(`From: ${encodeAddress(settings.from)}`, 76),
      ...(settings.replyTo ? [foldLines(`Reply-To: ${encodeAddress(settings.replyTo)}`, 76)] : []),
      foldLines(`Subject: ${encodeWords(headerSafe(content.subject), 'Q', 52)}`, 76),
      foldLines(`List-Id: ${settings.listName ? `${phrase(settings.listName)} ` : ''}<${headerSafe(settings.listId)}>`, 76),
      'List-Unsubscribe-Post: List-Unsubscribe=One-Click',
      ...(settings.feedbackId ? [`Feedback-ID: ${headerSafe(settings.feedbackId)}`] : []),
      'MIME-Version: 1.0',
      `Content-Type: multipart/alternative; boundary="${boundary}"`,
    ].join('\r\n');
    this.textPartHead = `\r\n--${boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n`;
    this.htmlPartHead = Buffer.from(`--${boundary}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n`);
    this.closing = Buffer.from(`--${boundary}--\r\n`);
  }

  /**
   * One recipient's complete message, as one Buffer: written into `scratch` when given (a view of
   * its memory, valid until the scratch's next fill), else into a Buffer of its own.
   */
  fill(recipient: DigestRecipient, scratch?: MessageScratch): FilledDigest {
    const { values } = recipient;
    const messageId = `<${recipient.messageIdLocalPart ?? crypto.randomUUID()}@${this.messageIdDomain}>`;
    const unsubscribe = `<${headerSafe(recipient.listUnsubscribe)}>${this.mailto ? `, ${this.mailto}` : ''}`;
    const head =
      `${this.fixedHeaders}\r\n` +
      `To: ${headerSafe(recipient.to)}\r\n` +
      `Date: ${currentDate()}\r\n` +
      `Message-ID: ${messageId}\r\n` +
      foldLines(`List-Unsubscribe: ${unsubscribe}`, 76) +
      '\r\n' +
      this.textPartHead;
    const parts: Buffer[] = [Buffer.from(head, 'utf8')];
    this.text.fill(values, parts);
    parts.push(this.htmlPartHead);
    this.html.fill(values, parts);
    parts.push(this.closing);
    // Safe by construction: header values never carry line breaks, bodies are base64.
    const raw = scratch ? scratch.join(parts) : Buffer.concat(parts);
    return { raw: smtpSafe(raw), messageId };
  }
}

/**
 * Memory for one message at a time, reused by the next. A copy in a Buffer of its own (~44 KB)
 * lives outside V8's heap until a garbage collection finds its handle dead, and at 3,000 messages a
 * second hundreds of them waited between collections: a million-reader send peaked 37 MB higher
 * than one of 10,000 (docs/benchmarks.md). A sender's lane fills its copies here instead and takes
 * a new scratch only when a message it handed over is still waiting (a stalled send keeps its bytes).
 */
export class MessageScratch {
  private memory = Buffer.alloc(0);

  /** The parts joined in this scratch's memory (grown when too small): valid until the next join. */
  join(parts: readonly Buffer[]): Buffer {
    let length = 0;
    for (const part of parts) length += part.length;
    if (length > this.memory.length) this.memory = Buffer.allocUnsafeSlow(Math.max(length, Math.ceil(this.memory.length * 1.5)));
    let at = 0;
    for (const part of parts) at += part.copy(this.memory, at);
    return this.memory.subarray(0, length);
  }
}

/** A body with placeholders, base64-encoded once except for the bytes around its values. */
class Base64Template {
  private readonly literals: Buffer[];
  private readonly names: string[];
  /** [piece][shift]: lines of literals[piece] from byte `shift` to its last whole 3-byte group. */
  private readonly encoded: Buffer[][] = [];
  /** [piece][shift]: the 0-2 bytes left after those groups. */
  private readonly tails: Buffer[][] = [];

  constructor(
    template: string,
    private readonly escape: (v: string) => string = (v) => v,
  ) {
    const { literals, names } = splitStored(template);
    this.names = names;
    this.literals = literals.map((piece) => Buffer.from(piece, 'utf8'));
    for (const literal of this.literals) {
      const encoded: Buffer[] = [];
      const tails: Buffer[] = [];
      for (let shift = 0; shift < 3; shift++) {
        const end = shift + Math.max(0, Math.floor((literal.length - shift) / 3) * 3);
        encoded.push(base64Lines(literal.subarray(shift, end)));
        tails.push(literal.subarray(end));
      }
      this.encoded.push(encoded);
      this.tails.push(tails);
    }
  }

  /** Appends the encoded body (CRLF-terminated lines) to `out`. */
  fill(values: Readonly<Record<string, string>>, out: Buffer[]): void {
    let pending: Buffer[] = [];
    let pendingLength = 0;
    for (let i = 0; i < this.literals.length; i++) {
      if (i > 0) {
        const value = Buffer.from(this.escape(values[this.names[i - 1] as string] ?? ''), 'utf8');
        pending.push(value);
        pendingLength += value.length;
      }
      const literal = this.literals[i] as Buffer;
      // Bytes this literal lends to complete the last 3-byte group of what is pending.
      const shift = (3 - (pendingLength % 3)) % 3;
      if (literal.length < shift + 3) {
        pending.push(literal);
        pendingLength += literal.length;
        continue;
      }
      if (shift) {
        pending.push(literal.subarray(0, shift));
        pendingLength += shift;
      }
      if (pendingLength) out.push(base64Lines(Buffer.concat(pending, pendingLength)));
      out.push((this.encoded[i] as Buffer[])[shift] as Buffer);
      const tail = (this.tails[i] as Buffer[])[shift] as Buffer;
      pending = tail.length ? [tail] : [];
      pendingLength = tail.length;
    }
    if (pendingLength) out.push(base64Lines(Buffer.concat(pending, pendingLength)));
  }
}

/**
 * Gmail's feedback loop header, `a:b:c:SenderId` (support.google.com/mail/answer/6254652): Gmail
 * reports spam complaints per field, read from the right. Here the edition, its newsletter, the
 * mail stream and the sender: `42:sports:bulletin:courier`. Only bulk mail (editions and alerts)
 * carries it; nothing in it names a reader. Slugs hold no ':' (lower-case letters, digits, hyphens).
 */
export function feedbackId(editionId: number, newsletterSlug: string, senderId: string): string {
  return `${editionId}:${newsletterSlug}:bulletin:${senderId}`;
}

/**
 * A SenderId (5-15 characters, stable) from the From address's domain when none is configured:
 * `news.example` as it is, a longer one cut at 15 characters, a shorter one padded with `-mail`.
 */
export function feedbackSenderIdOf(from: string): string {
  const domain = (addressOf(from).split('@')[1] ?? '').toLowerCase().replace(/[^a-z0-9.-]/g, '');
  const id = domain.length < 5 ? `${domain}-mail` : domain;
  return id.slice(0, 15);
}

/** A header value must never carry a line break (header injection). */
function headerSafe(value: string): string {
  return value.replace(/[\r\n]+/g, ' ');
}

/** `Name <address>` with the display name encoded when it is not plain ASCII. */
function encodeAddress(from: string): string {
  const match = /^\s*"?([^"<]*?)"?\s*<([^>]+)>\s*$/.exec(headerSafe(from));
  if (!match) return headerSafe(from).trim();
  const [, name = '', address = ''] = match;
  if (!name) return `<${address}>`;
  return `${phrase(name)} <${address}>`;
}

/** The address of `Name <address>` or of a bare address. */
function addressOf(from: string): string {
  return (/<([^>]+)>/.exec(from)?.[1] ?? from).trim();
}

/** `"Name" <address>` (encodeAddress encodes the name when the header is written). */
function mailbox(name: string, address: string): string {
  return `"${headerSafe(name).replace(/["\\<>]/g, '')}" <${address}>`;
}

/** A display name as a header phrase: quoted, or encoded when it is not plain ASCII. */
function phrase(name: string): string {
  const safe = headerSafe(name);
  return /^[\x20-\x7e]*$/.test(safe) ? `"${safe.replace(/["\\]/g, '\\$&')}"` : encodeWords(safe, 'Q', 52);
}

/** Base64 in lines of at most 76 characters, each ending with CRLF; empty input gives nothing. */
function base64Lines(bytes: Buffer): Buffer {
  const b64 = bytes.toString('base64');
  let out = '';
  for (let i = 0; i < b64.length; i += 76) out += `${b64.slice(i, i + 76)}\r\n`;
  return Buffer.from(out, 'latin1');
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

let dateSecond = -1;
let dateText = '';

/** The Date header of this second (the same for every copy sent within it). */
function currentDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = rfc2822Date(new Date(now));
  }
  return dateText;
}

function rfc2822Date(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${DAYS[d.getUTCDay()]}, ${pad(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`
  );
}
