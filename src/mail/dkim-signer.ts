import crypto from 'node:crypto';
import { domainToASCII } from 'node:url';
import { readDkimKey } from '../shared/dkim-key';

/**
 * DKIM signatures (RFC 6376: rsa-sha256, relaxed/relaxed) for messages already rendered to MIME:
 * the editions' copies, which SmtpMailer.sendRaw hands to the raw pool as Buffers.
 *
 * Why not nodemailer's signer (nodemailer/lib/dkim, which transactional mail keeps through the
 * transport's `dkim` option): it pipes each copy through three JS streams, canonicalises the
 * body one byte at a time in a JS loop and signs on the event loop. Here a copy's body is checked
 * by one native regex search and, when nothing needs changing (an edition's base64 parts never
 * do), hashed as it is; the RSA signature is computed on libuv's thread pool (crypto.sign with a
 * callback), so it overlaps with the other lanes' I/O instead of blocking them.
 */

/**
 * The header fields signed, each when present: nodemailer's default list (RFC 4871 5.5's, plus
 * List-Unsubscribe-Post, which RFC 8058 wants signed next to List-Unsubscribe), plus Feedback-ID,
 * which Gmail counts only when a signature covers it.
 */
export const SIGNED_HEADER_FIELDS: readonly string[] = [
  'from', 'sender', 'reply-to', 'subject', 'date', 'message-id', 'to', 'cc', 'mime-version',
  'content-type', 'content-transfer-encoding', 'content-id', 'content-description', 'resent-date',
  'resent-from', 'resent-sender', 'resent-to', 'resent-cc', 'resent-message-id', 'in-reply-to',
  'references', 'list-id', 'list-help', 'list-unsubscribe', 'list-unsubscribe-post', 'list-subscribe',
  'list-post', 'list-owner', 'list-archive', 'feedback-id',
];

export interface DkimSettings {
  /** d=: the domain whose DNS publishes the public key (`<selector>._domainkey.<domain>`). */
  domainName: string;
  /** s=: the selector. */
  keySelector: string;
  /** The RSA private key, PEM. */
  privateKey: string;
}

export class DkimSigner {
  private readonly key: crypto.KeyObject;
  /** `DKIM-Signature: v=1; ...; d=...; s=...;` with CRLF: the same for every message. */
  private readonly fixedTags: string;

  /** Parses the key once; throws at start-up (not at the first send) when it is not a usable RSA key. */
  constructor(settings: DkimSettings) {
    this.key = readDkimKey(settings.privateKey);
    const domain = domainToASCII(settings.domainName.trim()).replace(/\.$/, '');
    const selector = settings.keySelector.trim();
    if (!domain) throw new Error(`DKIM domain "${settings.domainName}" is not a domain name`);
    if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(selector)) throw new Error(`DKIM selector "${settings.keySelector}" is not a DNS label`);
    this.fixedTags = `DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; q=dns/txt;\r\n d=${domain}; s=${selector};`;
  }

  /**
   * The message with a DKIM-Signature field in front: a new Buffer; the input is not changed.
   * `crlfOnly`: the caller knows every line break is CRLF (a message vouched SMTP-safe), so the
   * body check is three native searches instead of a regex over a latin1 copy.
   */
  async sign(message: Buffer, known: { crlfOnly?: boolean } = {}): Promise<Buffer> {
    const { headerEnd, bodyStart } = splitHeader(message);
    // One character per byte, so 8-bit bytes in a header are hashed as they are sent.
    const fields = headerFields(message.toString('latin1', 0, headerEnd));
    const { canonical, names } = canonicalSignedFields(fields);
    const bodyHash = relaxedBodyHash(message.subarray(bodyStart), known.crlfOnly);
    const unsigned = `${this.fixedTags}\r\n bh=${bodyHash};\r\n h=${foldList(names)};\r\n b=`;
    // RFC 6376 3.7: the signature field itself comes last, canonicalised, without its CRLF.
    const signedData = `${canonical}dkim-signature:${relaxedValue(unsigned.slice(unsigned.indexOf(':') + 1))}`;
    const signature = await signOffThread(Buffer.from(signedData, 'latin1'), this.key);
    const field = `${unsigned}${foldBase64(signature.toString('base64'))}\r\n`;
    return Buffer.concat([Buffer.from(field, 'latin1'), message]);
  }
}

function signOffThread(data: Buffer, key: crypto.KeyObject): Promise<Buffer> {
  return new Promise((resolve, reject) => crypto.sign('sha256', data, key, (err, sig) => (err ? reject(err) : resolve(sig))));
}

/** Where the header ends (after its last line's line break) and the body starts (after the empty line). */
function splitHeader(message: Buffer): { headerEnd: number; bodyStart: number } {
  const crlf = message.indexOf('\r\n\r\n');
  const lf = message.indexOf('\n\n');
  if (crlf !== -1 && (lf === -1 || crlf < lf)) return { headerEnd: crlf + 2, bodyStart: crlf + 4 };
  if (lf !== -1) return { headerEnd: lf + 1, bodyStart: lf + 2 };
  return { headerEnd: message.length, bodyStart: message.length };
}

interface HeaderField {
  /** Lower-case, without the whitespace around it. */
  name: string;
  /** Everything after the first colon, folding line breaks included. */
  value: string;
}

/** The header's fields in order, continuation lines joined to their field. */
function headerFields(header: string): HeaderField[] {
  const fields: HeaderField[] = [];
  let current: string | undefined;
  const push = (line: string | undefined) => {
    const colon = line === undefined ? -1 : line.indexOf(':');
    if (colon > 0) fields.push({ name: line!.slice(0, colon).replace(/^[ \t]+|[ \t]+$/g, '').toLowerCase(), value: line!.slice(colon + 1) });
  };
  for (const line of header.split(/\r?\n/)) {
    if (current !== undefined && (line.startsWith(' ') || line.startsWith('\t'))) current += `\r\n${line}`;
    else {
      push(current);
      current = line;
    }
  }
  push(current);
  return fields;
}

/**
 * The relaxed canonical form (RFC 6376 3.4.2) of the signed fields present, in SIGNED_HEADER_FIELDS'
 * order, and their names for h=. A name that occurs more than once is signed once, for its last
 * instance (the one a verifier takes first, counting from the bottom: 5.4.2).
 */
function canonicalSignedFields(fields: HeaderField[]): { canonical: string; names: string[] } {
  const last = new Map<string, string>();
  for (const f of fields) last.set(f.name, f.value);
  let canonical = '';
  const names: string[] = [];
  for (const name of SIGNED_HEADER_FIELDS) {
    const value = last.get(name);
    if (value === undefined) continue;
    names.push(name);
    canonical += `${name}:${relaxedValue(value)}\r\n`;
  }
  return { canonical, names };
}

/** Unfolded, runs of SP and HTAB as one SP, none at either end (only SP and HTAB count as whitespace). */
function relaxedValue(value: string): string {
  return value.replace(/\r?\n/g, '').replace(/[ \t]+/g, ' ').replace(/^ | $/g, '');
}

/** Anything relaxed body canonicalisation would change inside the body: a tab, a space before a space, a line break or the end, a bare CR or LF. */
const BODY_NEEDS_WORK = /\t| (?:[ \r\n]|$)|\r(?!\n)|(?<!\r)\n/;

/**
 * base64 SHA-256 of the body in relaxed canonical form (RFC 6376 3.4.4): whitespace runs as one
 * SP, none at a line's end, CRLF line breaks (a bare LF ends a line, a bare CR is content, as
 * nodemailer has it), no empty lines at the end, and a CRLF after the last line of a non-empty body.
 */
export function relaxedBodyHash(body: Buffer, crlfOnly = false): string {
  const hash = crypto.createHash('sha256');
  if (crlfOnly ? isCanonicalCrlfBody(body) : !BODY_NEEDS_WORK.test(body.toString('latin1'))) {
    // Already canonical up to its end: hash the bytes as they are, without the empty lines at the end.
    const end = withoutTrailingLineBreaks(body);
    if (end > 0) hash.update(body.subarray(0, end)).update('\r\n');
    return hash.digest('base64');
  }
  const text = body.toString('latin1');
  const canonical = text.replace(/[ \t]+/g, ' ').replace(/ ?\r?\n/g, '\r\n').replace(/ $/, '');
  const end = withoutTrailingLineBreaks(canonical);
  if (end > 0) hash.update(canonical.slice(0, end), 'latin1').update('\r\n');
  return hash.digest('base64');
}

/** With CRLF line breaks only, BODY_NEEDS_WORK comes down to a tab, two spaces, a space before CR or at the end. */
function isCanonicalCrlfBody(body: Buffer): boolean {
  return body.indexOf(0x09) === -1 && body.indexOf('  ') === -1 && body.indexOf(' \r') === -1 && body[body.length - 1] !== 0x20;
}

/** The length of `text` without the CRLFs it ends with (a loop over those CRLFs only). */
function withoutTrailingLineBreaks(text: string | Buffer): number {
  const at = typeof text === 'string' ? (i: number) => text.charCodeAt(i) : (i: number) => text[i];
  let end = text.length;
  while (end >= 2 && at(end - 1) === 0x0a && at(end - 2) === 0x0d) end -= 2;
  return end;
}

/** h='s names, folded after a colon so no line grows past 78 characters (FWS is allowed there). */
function foldList(names: string[]): string {
  let out = '';
  let line = 3; // ' h='
  for (const [i, name] of names.entries()) {
    const piece = i === 0 ? name : `:${name}`;
    if (line + piece.length > 74) {
      out += '\r\n  ';
      line = 2;
    }
    out += piece;
    line += piece.length;
  }
  return out;
}

/** b='s base64 in lines of 72 characters (FWS may appear anywhere in it). */
function foldBase64(b64: string): string {
  let out = b64.slice(0, 72 - 3);
  for (let i = 72 - 3; i < b64.length; i += 72) out += `\r\n  ${b64.slice(i, i + 72)}`;
  return out;
}
