import type { Socket } from 'node:net';
import type SMTPConnection from 'nodemailer/lib/smtp-connection';
import { QUIT_WAIT_MS, type LinkDone, type LinkError, type RawEnvelope, type SmtpLink } from './smtp-link';
import { smtpData } from './smtp-data';
import { SOCKET_HANDLERS, type ConnectionInternals } from './smtp-takeover';

/**
 * The fast path of RawSmtpPool: a logged-in nodemailer connection whose socket this session takes
 * over for the mail transactions. nodemailer keeps doing what SMTP_URL may ask of a connection
 * (greeting, EHLO, STARTTLS or smtps, every AUTH method, proxies); the session does only what a
 * digest needs, with fewer turns than nodemailer's client:
 * - the next message's envelope (MAIL, RCPT, DATA) goes out in the same write as the current
 *   message's data (RFC 2920 lets the message content lead a pipelined group), so under load each
 *   message costs one exchange with the server instead of two (envelope -> 354, data -> 250);
 * - every reply in a chunk is handled at once (nodemailer waits a turn of the event loop per reply);
 * - DATA is dot-stuffed with native searches and written without copying the message (smtp-data.ts).
 *
 * What keeps a retry from duplicating a message: the session knows per message whether any byte
 * of its data was written (`done`'s dataWritten). A message's envelope goes out only after the
 * message before it has written its data or been refused, so at most one message waits for its
 * 354 on a connection, and a dropped connection leaves at most one message whose data may have
 * reached the server.
 *
 * Whether a connection may be taken over (nodemailer's internals, the server's PIPELINING) is
 * smtp-takeover.ts's call.
 */

/** A server that sends more than this without a line break, or a reply of more lines, is dropped. */
const MAX_REPLY_BYTES = 64 * 1024;
const MAX_REPLY_LINES = 1000;

type Step = 'rset' | 'mail' | 'rcpt' | 'data' | 'end';

interface Message {
  envelope: RawEnvelope;
  message: Buffer;
  done: LinkDone;
  dataWritten: boolean;
  /** The reply that refused its MAIL or RCPT (the DATA reply then ends it). */
  refused?: LinkError;
}

export class PipelinedSession implements SmtpLink {
  private readonly socket: Socket;
  private readonly smtpUtf8: boolean;
  /** The replies due, oldest first, and what each answers. */
  private readonly due: Array<{ step: Step; message?: Message }> = [];
  /** Messages not answered yet, oldest first. */
  private readonly open: Message[] = [];
  /** The message whose envelope is out and whose data is not. */
  private current: Message | undefined;
  /** A message whose envelope waits for `current`'s data (or refusal). */
  private held: Message | undefined;
  /** A refused envelope left a transaction to clear: RSET leads the next envelope. */
  private resetDue = false;
  private received = '';
  private replyLines: string[] = [];
  private ended = false;
  private readonly endListeners: Array<() => void> = [];
  private quitting: (() => void) | undefined;
  /** Set by giveBack: nothing goes behind the oldest message until it is answered. */
  private aloneUntilAnswered = false;
  /** A given-back message's envelope is out: the connection ends once the oldest is answered. */
  private endAfterOldest = false;

  /** Takes over `connection`'s socket (check takeoverUnfit first). `onDataWritten` runs per message written. */
  constructor(connection: SMTPConnection, private readonly onDataWritten: () => void = () => {}) {
    const c = connection as unknown as ConnectionInternals;
    const socket = c._socket as Socket;
    this.socket = socket;
    this.smtpUtf8 = c._supportedExtensions.includes('SMTPUTF8');
    for (const [event, handler] of SOCKET_HANDLERS) socket.removeListener(event, c[handler]);
    // The socket keeps the idle timeout nodemailer set (socketTimeout); now it ends this session.
    socket.on('data', (chunk: Buffer) => this.read(chunk));
    socket.on('timeout', () => this.end(linkError('Timeout', 'ETIMEDOUT')));
    socket.on('error', (err: Error) => this.end(Object.assign(err, { code: 'ECONNECTION' })));
    socket.on('end', () => socket.end());
    socket.once('close', () => this.end(linkError('Connection closed unexpectedly', 'ECONNECTION')));
  }

  /** Two messages: the next envelope goes out behind the current data; one after giveBack. */
  get depth(): number {
    return this.aloneUntilAnswered ? 1 : 2;
  }

  send(envelope: RawEnvelope, message: Buffer, done: LinkDone): void {
    if (this.open.length >= this.depth) throw new Error('PipelinedSession holds two messages at most');
    if (this.ended) return done(Object.assign(linkError('Connection closed', 'ECONNECTION'), { behind: true }), '', false);
    const invalid = [envelope.from, envelope.to].find((address) => /[\r\n<>]/.test(address));
    if (invalid !== undefined) return done(linkError(`Invalid address ${JSON.stringify(invalid)}`, 'EENVELOPE'), '', false);
    const m: Message = { envelope, message, done, dataWritten: false };
    this.open.push(m);
    if (this.current) this.held = m;
    else this.sendEnvelope(m, []);
  }

  /**
   * The oldest message is slow to be answered: the one behind it is handed back (answered
   * `behind`, nothing of it written), to go out on another connection instead of waiting. A
   * server cannot be told to forget an envelope it has, so when that message's envelope is out,
   * the connection ends once the oldest is answered.
   */
  giveBack(): void {
    const behind = this.open.splice(1);
    if (!behind.length) return;
    this.aloneUntilAnswered = true;
    if (behind.includes(this.current as Message)) {
      this.endAfterOldest = true;
      this.current = undefined;
    }
    this.held = undefined;
    for (const m of behind) m.done(Object.assign(linkError('Handed back: the message ahead of it is slow', 'ECONNECTION'), { behind: true }), '', false);
  }

  quit(): Promise<void> {
    if (this.ended) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.socket.destroy(), QUIT_WAIT_MS);
      this.quitting = () => {
        clearTimeout(timer);
        resolve();
      };
      this.socket.end('QUIT\r\n');
    });
  }

  close(): void {
    this.end(linkError('Connection dropped', 'ECONNECTION'));
  }

  onEnd(listener: () => void): void {
    if (this.ended) listener();
    else this.endListeners.push(listener);
  }

  /** Writes `lead` (the previous message's data, if any), a reset if due, then m's envelope. */
  private sendEnvelope(m: Message, lead: Buffer[]): void {
    this.current = m;
    const { from, to } = m.envelope;
    const utf8 = this.smtpUtf8 && /[^\x00-\x7f]/.test(from + to) ? ' SMTPUTF8' : '';
    const pieces = lead;
    if (this.resetDue) {
      this.resetDue = false;
      pieces.push(RSET);
      this.due.push({ step: 'rset' });
    }
    pieces.push(Buffer.from(`MAIL FROM:<${from}>${utf8}\r\nRCPT TO:<${to}>\r\nDATA\r\n`));
    this.due.push({ step: 'mail', message: m }, { step: 'rcpt', message: m }, { step: 'data', message: m });
    this.write(pieces);
  }

  /** After the 354: m's data, and in the same write the held message's envelope. */
  private sendData(m: Message): void {
    const data = smtpData(m.message);
    m.dataWritten = true;
    this.due.push({ step: 'end', message: m });
    this.current = undefined;
    this.onDataWritten();
    const next = this.held;
    this.held = undefined;
    if (next) this.sendEnvelope(next, data);
    else this.write(data);
  }

  /** The current message ended before its data: the held one's envelope goes out now. */
  private skipToHeld(): void {
    this.current = undefined;
    this.resetDue = true;
    const next = this.held;
    this.held = undefined;
    if (next) this.sendEnvelope(next, []);
  }

  private write(pieces: Buffer[]): void {
    // Corked: the pieces leave in one writev, without copying the message.
    this.socket.cork();
    for (const piece of pieces) this.socket.write(piece);
    this.socket.uncork();
  }

  private read(chunk: Buffer): void {
    this.received += chunk.toString('latin1');
    for (let eol = this.received.indexOf('\n'); eol !== -1 && !this.ended; eol = this.received.indexOf('\n')) {
      const line = Buffer.from(this.received.slice(0, eol).replace(/\r$/, ''), 'latin1').toString('utf8');
      this.received = this.received.slice(eol + 1);
      if (!line.trim()) continue; // a stray empty line answers nothing
      this.replyLines.push(line);
      if (/^\d{3}-/.test(line)) {
        if (this.replyLines.length > MAX_REPLY_LINES) this.end(linkError('Reply too large', 'EPROTOCOL'));
        continue;
      }
      const reply = this.replyLines.join('\n');
      this.replyLines = [];
      this.answer(reply);
    }
    if (this.received.length > MAX_REPLY_BYTES) this.end(linkError('Reply too large', 'EPROTOCOL'));
  }

  private answer(reply: string): void {
    if (this.quitting) return; // the answer to QUIT
    const code = Number(reply.slice(0, 3));
    const due = this.due.shift();
    if (!due) return this.end(linkError('Unexpected response', 'EPROTOCOL', reply));
    const m = due.message;
    // 421: the server is closing the session, whatever the command was.
    if (code === 421) {
      if (m) this.answerMessage(m, linkError('Server closed the connection', 'ECONNECTION', reply));
      return this.end(linkError('Server closed the connection', 'ECONNECTION', reply));
    }
    const ok = code >= 200 && code < 300;
    switch (due.step) {
      case 'rset':
        if (!ok) this.end(linkError('Could not reset session state', 'EPROTOCOL', reply, 'RSET'));
        return;
      case 'mail':
        if (!ok) m!.refused = linkError('Mail command failed', 'EENVELOPE', reply, 'MAIL FROM');
        return;
      case 'rcpt':
        if (!ok) m!.refused ??= linkError('Recipient command failed', 'EENVELOPE', reply, 'RCPT TO');
        return;
      case 'data':
        return this.answerData(m!, reply, code);
      case 'end':
        return this.answerMessage(m!, ok ? null : linkError('Message failed', 'EMESSAGE', reply, 'DATA'), reply);
    }
  }

  private answerData(m: Message, reply: string, code: number): void {
    const go = code >= 200 && code < 400;
    if (m.refused && go) {
      // A server that takes DATA after refusing the envelope cannot be trusted with the session:
      // it ends first, so that m's answer cannot hand it another message.
      this.open.splice(this.open.indexOf(m), 1);
      this.end(linkError('DATA accepted after a refused envelope', 'EPROTOCOL', reply, 'DATA'));
      return m.done(m.refused, '', false);
    }
    if (m.refused || !go) {
      // The held message's envelope goes first: m's answer may hand this session its next message.
      this.skipToHeld();
      return this.answerMessage(m, m.refused ?? linkError('Data command failed', 'EENVELOPE', reply, 'DATA'));
    }
    this.sendData(m);
  }

  private answerMessage(m: Message, err: LinkError | null, response = ''): void {
    const at = this.open.indexOf(m);
    if (at < 0) return;
    this.open.splice(at, 1);
    if (this.aloneUntilAnswered && !this.open.length) {
      this.aloneUntilAnswered = false;
      if (this.endAfterOldest) this.end(linkError('Connection retired after a slow message', 'ECONNECTION'));
    }
    m.done(err, response, m.dataWritten);
  }

  /**
   * The connection is over: every message still open is answered. The oldest gets `err` as its
   * own; those behind it are marked `behind` (nothing of them was decided).
   */
  private end(err: LinkError): void {
    if (this.ended) return;
    this.ended = true;
    this.due.length = 0;
    this.current = this.held = undefined;
    if (!this.socket.destroyed) this.socket.destroy();
    this.quitting?.();
    // First the pool forgets this link, so that no answer below hands it another message.
    this.endListeners.splice(0).forEach((listener) => listener());
    this.open.splice(0).forEach((m, i) => {
      const own = i === 0 ? err : Object.assign(linkError(err.message, err.code ?? 'ECONNECTION', err.response), { behind: true });
      m.done(own, '', m.dataWritten);
    });
  }
}

const RSET = Buffer.from('RSET\r\n');

/** An error shaped as nodemailer's (_formatError): the reply in the message, its code parsed. */
function linkError(message: string, code: string, response?: string, command?: string): LinkError {
  const err: LinkError = new Error(response ? `${message}: ${response}` : message);
  err.code = code;
  if (response) {
    err.response = response;
    const responseCode = Number(response.slice(0, 3));
    if (responseCode) err.responseCode = responseCode;
  }
  if (command) err.command = command;
  return err;
}
