/**
 * The DATA payload of a message, as PipelinedSession (smtp-session.ts) writes it. nodemailer's
 * DataStream dot-stuffs a message one byte at a time in JS (~320 us for a 38 KB digest, once the
 * biggest single cost in the send profile); this produces the same bytes (tests/unit/smtp-data.test.ts
 * compares them), finds what needs changing with native searches, and returns the message itself
 * plus its terminator, so the socket gets them in one write without a copy.
 */

const LF = 0x0a;
const CR = 0x0d;
const DOT = 0x2e;

/** Messages their builder vouches for: CRLF only, no line starting with a dot (see smtpSafe). */
const vouched = new WeakSet<Buffer>();

/**
 * Marks a message built to need no escaping (PreparedDigestMime: headers without line breaks in
 * values, base64 bodies), so the DATA step skips checking its ~40 KB again for every copy.
 */
export function smtpSafe(message: Buffer): Buffer {
  vouched.add(message);
  return message;
}

/** True when the message's builder vouched for it (smtpSafe), so a wrapper adding clean lines may too. */
export function isVouchedSafe(message: Buffer): boolean {
  return vouched.has(message);
}

/** The DATA payload of a message: dot-stuffed, CRLF only, ending with CRLF.CRLF (as pieces). */
export function smtpData(message: Buffer): Buffer[] {
  if (!vouched.has(message) && !isSmtpClean(message)) return [smtpDataSlow(message)];
  return [message, message.length && message[message.length - 1] === LF ? DOT_CRLF : CRLF_DOT_CRLF];
}

const DOT_CRLF = Buffer.from('.\r\n');
const CRLF_DOT_CRLF = Buffer.from('\r\n.\r\n');

/** True when every line ends with CRLF and none starts with a dot: nothing to change. */
export function isSmtpClean(m: Buffer): boolean {
  if (m.length && m[0] === DOT) return false;
  for (let i = m.indexOf(LF); i !== -1; i = m.indexOf(LF, i + 1)) {
    if (m[i - 1] !== CR || m[i + 1] === DOT) return false;
  }
  for (let i = m.indexOf(CR); i !== -1; i = m.indexOf(CR, i + 1)) {
    if (m[i + 1] !== LF) return false;
  }
  return true;
}

/** Byte by byte, the rules of nodemailer's DataStream (bare CR and bare LF become CRLF). */
function smtpDataSlow(m: Buffer): Buffer {
  const out: number[] = [];
  let prev = -1;
  for (let i = 0; i < m.length; i++) {
    const byte = m[i] as number;
    if (prev === CR && byte !== LF) {
      out.push(LF);
      if (byte === DOT) out.push(DOT); // "\r.\r" must not read as the end of data (SMTP smuggling)
    } else if (byte === LF && prev !== CR) out.push(CR);
    else if (byte === DOT && (prev === -1 || prev === LF)) out.push(DOT);
    out.push(byte);
    prev = byte;
  }
  const last = prev;
  const tail = last === LF ? '.\r\n' : last === CR ? '\n.\r\n' : '\r\n.\r\n';
  return Buffer.concat([Buffer.from(out), Buffer.from(tail, 'latin1')]);
}
