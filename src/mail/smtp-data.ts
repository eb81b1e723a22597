import SMTPConnection from 'nodemailer/lib/smtp-connection';

/**
 * The DATA step of RawSmtpPool's connections. nodemailer's DataStream dot-stuffs a message one byte
 * at a time in JS (~320 us for a 38 KB digest, the biggest single cost in the send profile); this
 * produces the same bytes, finds what needs changing with native searches, and hands the socket
 * the message and its terminator in one corked write, without copying the message.
 *
 * Why patch nodemailer rather than own an SMTP client (listmonk owns smtppool): the patch replaces
 * one step, DATA, of a client that keeps doing everything else (greeting, EHLO/HELO, STARTTLS and
 * smtps, every AUTH method, PIPELINING, size limits, timeouts, proxies), which SMTP_URL may ask
 * for; a client of our own would have to re-earn all of that. The patch relies on private
 * internals (those in FastData below), so it is pinned and proven instead:
 * - package.json pins nodemailer to exactly PATCHED_NODEMAILER (tests/unit/smtp-data.test.ts
 *   checks the pin, and compares the bytes on the wire with nodemailer's DataStream);
 * - fastDataMismatch() checks the version and the shape of every internal used, once per pool,
 *   and on any mismatch the pool keeps nodemailer's own DataStream and logs one error line;
 * - tests/integration/smtp-data-path.test.ts fails if a real send did not take this path, checks
 *   what a real smtp-server receives, and simulates a changed internal.
 * To upgrade nodemailer: change the pin and PATCHED_NODEMAILER together and run those tests.
 */

/** The nodemailer release this DATA step was written for and proven against. */
export const PATCHED_NODEMAILER = '10.6.1';

/** Which DATA step a connection uses: this module's, or nodemailer's DataStream. */
export type DataPath = 'fast' | 'nodemailer';

/** The parts of SMTPConnection's internals the DATA step uses (nodemailer 10.6). */
interface FastData {
  version: string;
  __bulletinFast?: boolean;
  __bulletinWritten?: boolean;
  _responseActions: Array<(str: string) => void>;
  _actionSMTPStream(str: string, callback: unknown): void;
  _socket: { write(data: Buffer): boolean; cork(): void; uncork(): void } | false | null;
  _createSendStream: (callback: unknown) => unknown;
  send(envelope: unknown, message: unknown, callback: unknown): void;
  options: { lmtp?: boolean };
}

/**
 * Why the fast DATA step must not be used with the installed nodemailer, or undefined when it
 * fits. Checked on a connection that has not connected (nothing goes out), before any send, so a
 * changed internal means the slower path from the start rather than a failure mid-send.
 */
export function fastDataMismatch(probe: SMTPConnection = new SMTPConnection({})): string | undefined {
  const c = probe as unknown as Partial<FastData>;
  if (c.version !== PATCHED_NODEMAILER) return `nodemailer is ${String(c.version)}, the fast DATA step is proven with ${PATCHED_NODEMAILER} only`;
  if (typeof c._createSendStream !== 'function' || c._createSendStream.length !== 1) return '_createSendStream(callback) changed';
  if (typeof c._actionSMTPStream !== 'function' || c._actionSMTPStream.length !== 2) return '_actionSMTPStream(str, callback) changed';
  if (!Array.isArray(c._responseActions)) return '_responseActions is no longer an array';
  if (!('_socket' in c)) return '_socket is gone';
  if (typeof c.options !== 'object' || c.options === null) return 'options is gone';
  // What makes the override count: send() must still build its DATA stream through it.
  if (typeof c.send !== 'function' || !/\._createSendStream\(/.test(Function.prototype.toString.call(c.send))) {
    return 'send() no longer calls _createSendStream';
  }
  return undefined;
}

/**
 * Replaces the DATA stream of one connected connection: the message goes to the socket in one
 * write, dot-stuffed and with its line endings normalised exactly as nodemailer's DataStream would,
 * but found with native searches instead of a JS loop over every byte. Returns false (and changes
 * nothing) for LMTP or a socket without cork/write, which keep nodemailer's own stream; the caller
 * has checked fastDataMismatch() first. `onWritten` runs once per message written this way.
 */
export function useFastData(connection: SMTPConnection, onWritten: () => void = () => {}): boolean {
  const c = connection as unknown as FastData;
  const socket = c._socket;
  if (c.options.lmtp || !socket || typeof socket.cork !== 'function' || typeof socket.uncork !== 'function' || typeof socket.write !== 'function') {
    return false;
  }
  c.__bulletinFast = true;
  c._createSendStream = function (this: FastData, callback: unknown) {
    this._responseActions.push((str) => this._actionSMTPStream(str, callback));
    const chunks: Buffer[] = [];
    const stream = {
      inByteCount: 0,
      outByteCount: 0,
      write: (chunk: Buffer | string) => {
        chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
        return true;
      },
      end: () => {
        const input = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
        const data = smtpData(input);
        stream.inByteCount = input.length;
        stream.outByteCount = data.reduce((n, b) => n + b.length, 0);
        this.__bulletinWritten = true;
        const out = this._socket as Exclude<FastData['_socket'], false | null>;
        // Corked: the pieces leave in one writev, without copying the message.
        out.cork();
        for (const piece of data) out.write(piece);
        out.uncork();
        onWritten();
      },
    };
    return stream;
  };
  return true;
}

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

/** Resets (false) the note that the current message's bytes went to the socket. */
export function markDataWritten(connection: SMTPConnection, written: boolean): void {
  (connection as unknown as FastData).__bulletinWritten = written;
}

/**
 * Whether any byte of the current message may have reached the server. Without the fast DATA
 * step nothing tells, so the answer is then always yes (a retry could duplicate the message).
 */
export function wasDataWritten(connection: SMTPConnection): boolean {
  const c = connection as unknown as FastData;
  return !c.__bulletinFast || c.__bulletinWritten === true;
}
