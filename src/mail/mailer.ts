/**
 * What Bulletin needs from a mail transport: the digest sender and the subscription emails send
 * through this interface; nodemailer-mailer.ts implements it (SMTP, or the outbox folder).
 */

export interface MailMessage {
  to: string;
  subject: string;
  html: string;
  text: string;
  /** Every message Bulletin sends is list mail: it carries List-Unsubscribe (RFC 2369, RFC 8058). */
  unsubscribeUrl: string;
}

/** A message already rendered to MIME, for the digest fast path (built once, filled per recipient). */
export interface RawMail {
  to: string;
  raw: string | Buffer;
  /**
   * The delivery's tag (DeliveryMessageIds.bounceTag), given with MAIL_BOUNCE_VERP: the envelope
   * sender becomes `local+tag@domain`, so a bounce names its delivery without the original headers.
   */
  bounceTag?: string;
  /**
   * Called when the server is slow past its usual pace on this message and a spare connection took
   * its place: the send goes on waiting for its answer, and the caller may start another meanwhile.
   */
  onStall?: () => void;
}

export interface SendResult {
  messageId: string;
}

/**
 * A send the SMTP server refuses, or cannot be reached for, rejects with an SmtpFailure (below);
 * anything else (DKIM signing, the outbox's disk) keeps its own error: see failureKind.
 */
export interface Mailer {
  send(message: MailMessage): Promise<SendResult>;
  /** The caller built the message, so it knows its Message-ID: nothing is parsed back. */
  sendRaw(mail: RawMail): Promise<void>;
  /** Closes connections; callers finish their sends first. */
  close(): Promise<void>;
}

/**
 * How a send failed, as far as retrying is concerned:
 * - permanent: a 5xx reply, the receiving side's final word on this message: not retried;
 * - transient: a 4xx reply (or another reply out of turn), or no answer to the message's data in
 *   time (a server silent on one message while it answers others): it may be accepted later;
 * - unreachable: no verdict on the message at all (refused or dropped connection, connection or
 *   greeting timeout, failed login, 421 "closing the session"): the server's trouble, not the
 *   recipient's.
 */
export type SmtpFailureKind = 'permanent' | 'transient' | 'unreachable';

/**
 * The one error the mail layer's transports reject with. Callers decide on `kind` alone; the
 * other fields are for logs and the ledger (`code` is nodemailer's or Node's, e.g. ECONNREFUSED).
 */
export class SmtpFailure extends Error {
  override readonly name = 'SmtpFailure';
  readonly code: string | undefined;
  readonly responseCode: number | undefined;
  readonly response: string | undefined;
  /**
   * The message's data reached the server before the failure (a timeout or dropped connection
   * waiting for the final reply): the server may have choked on this very message, so a sender
   * counts the attempt even when `kind` is unreachable, and such a message cannot retry forever.
   */
  readonly dataSent: boolean;

  constructor(
    readonly kind: SmtpFailureKind,
    message: string,
    details: { code?: string; responseCode?: number; response?: string; cause?: unknown; dataSent?: boolean } = {},
  ) {
    super(message, { cause: details.cause });
    this.code = details.code;
    this.responseCode = details.responseCode;
    this.response = details.response;
    this.dataSent = details.dataSent ?? false;
  }

  /** An error of an SMTP client (nodemailer's or Node's), classified by the server's reply code. */
  static from(err: unknown): SmtpFailure {
    if (err instanceof SmtpFailure) return err;
    const e = (err ?? {}) as { message?: string; code?: unknown; responseCode?: unknown; response?: unknown };
    const responseCode = typeof e.responseCode === 'number' ? e.responseCode : undefined;
    const details = {
      code: typeof e.code === 'string' ? e.code : undefined,
      responseCode,
      response: typeof e.response === 'string' ? e.response : undefined,
      cause: err,
    };
    return new SmtpFailure(kindOf(responseCode), e.message ?? String(err), details);
  }

  /** A failure that never reached a verdict on the message (see `unreachable`). */
  static unreachable(err: unknown, code = 'ECONNECTION', { dataSent = false } = {}): SmtpFailure {
    const e = (err ?? {}) as { message?: string; code?: unknown; response?: unknown };
    return new SmtpFailure('unreachable', e.message ?? String(err), {
      code: typeof e.code === 'string' ? e.code : code,
      response: typeof e.response === 'string' ? e.response : undefined,
      cause: err,
      dataSent,
    });
  }
}

function kindOf(responseCode: number | undefined): SmtpFailureKind {
  // 421 is the server closing the session (going down, too busy), not a verdict on this message.
  if (responseCode === undefined || responseCode === 421) return 'unreachable';
  if (responseCode >= 500 && responseCode < 600) return 'permanent';
  // 4xx, or a reply out of turn (a protocol error mid-session): the message may go through later.
  return 'transient';
}

/**
 * What callers of a Mailer decide on. An error that is no SmtpFailure (a signing error, a full
 * disk under the outbox) gave no verdict on the message either: it counts as unreachable, so the
 * message is retried later rather than held against the recipient.
 */
export function failureKind(err: unknown): SmtpFailureKind {
  return err instanceof SmtpFailure ? err.kind : 'unreachable';
}
