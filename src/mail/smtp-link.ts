import type SMTPConnection from 'nodemailer/lib/smtp-connection';
import { afterPendingReplies } from './smtp-slot';

/**
 * One open, logged-in SMTP connection as RawSmtpPool uses it: it takes messages and answers each
 * once. Two kinds: PipelinedSession (smtp-session.ts: the fast path, up to two messages at once)
 * and NodemailerLink below (nodemailer's own client, one message at a time), for a server or a
 * nodemailer release the fast path does not fit.
 */
export interface SmtpLink {
  /** Messages it may hold at once. */
  readonly depth: number;
  /**
   * Sends one message. `done` runs exactly once, unless the link is closed first, with the
   * server's final reply or the error, and whether any byte of the message's data was written
   * (false: the server cannot have taken it, so another try cannot duplicate it). A refused
   * message (a 4xx or 5xx reply) leaves the link usable; any other error closes it.
   */
  send(envelope: RawEnvelope, message: Buffer, done: LinkDone): void;
  /**
   * The oldest message is slow: messages waiting behind it are answered `behind` now (optional:
   * a link of depth 1 has none).
   */
  giveBack?(): void;
  /** Says QUIT and resolves once the connection has closed (or after 2 s). */
  quit(): Promise<void>;
  /** Drops the connection: answers nothing in flight. */
  close(): void;
  /** Runs once the connection has ended, for whatever reason. */
  onEnd(listener: () => void): void;
}

export interface RawEnvelope {
  from: string;
  to: string;
}

/**
 * What went wrong, shaped like nodemailer's errors: `code` EENVELOPE (MAIL, RCPT or DATA
 * refused), EMESSAGE (the message refused after its data) or a connection error; `responseCode`
 * and `response` when the server replied. `behind`: the message waited behind another one on a
 * connection that ended, and nothing of it was decided.
 */
export type LinkError = Error & { code?: string; responseCode?: number; response?: string; command?: string; behind?: boolean };

export type LinkDone = (err: LinkError | null, response: string, dataWritten: boolean) => void;

/** How long quit() waits for the server to close its side. */
export const QUIT_WAIT_MS = 2000;

/** Ends a connection politely: QUIT, then close once it ends or after QUIT_WAIT_MS. */
export function quitConnection(connection: SMTPConnection): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      connection.close();
      resolve();
    }, QUIT_WAIT_MS);
    connection.once('end', () => {
      clearTimeout(timer);
      resolve();
    });
    connection.quit();
  });
}

/**
 * nodemailer's own client, one message at a time, its DATA stream included. Nothing tells how far
 * a message's data got, so a failure after the envelope counts as written.
 */
export class NodemailerLink implements SmtpLink {
  readonly depth = 1;

  constructor(
    private readonly connection: SMTPConnection,
    /** How long a reset after a refused message may wait for its answer. */
    private readonly resetTimeout: number,
  ) {}

  send(envelope: RawEnvelope, message: Buffer, done: LinkDone): void {
    this.connection.send({ from: envelope.from, to: [envelope.to] }, message, (err, info) => {
      if (!err) return done(null, info.response ?? '', true);
      const e = err as LinkError;
      if (typeof e.responseCode === 'number' && e.responseCode !== 421 && (e.code === 'EENVELOPE' || e.code === 'EMESSAGE')) {
        // Refused: the session is fine once reset, and the message's answer waits for the reset.
        return this.reset(() => done(e, '', true));
      }
      this.close();
      done(e, '', true);
    });
  }

  /**
   * RSET after a refused message. nodemailer never calls back when the socket closes first, so a
   * reset the server does not answer within resetTimeout closes the connection instead.
   */
  private reset(then: () => void): void {
    let done = false;
    const end = (keep: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (!keep) this.close();
      then();
    };
    const timer = afterPendingReplies(this.resetTimeout, () => end(false));
    this.connection.reset((resetErr) => end(!resetErr));
  }

  quit(): Promise<void> {
    return quitConnection(this.connection);
  }

  close(): void {
    this.connection.close();
  }

  onEnd(listener: () => void): void {
    this.connection.once('end', listener);
  }
}
