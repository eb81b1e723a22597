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
}

export interface SendResult {
  messageId: string;
}

export interface Mailer {
  send(message: MailMessage): Promise<SendResult>;
  /** The caller built the message, so it knows its Message-ID: nothing is parsed back. */
  sendRaw(mail: RawMail): Promise<void>;
  /** Closes connections; callers finish their sends first. */
  close(): Promise<void>;
}

/**
 * Why a send failed, as far as retrying is concerned. A 5xx reply is the receiving side's final
 * word; anything else (4xx, a dropped connection, a timeout) may succeed later.
 */
export function isPermanentFailure(err: unknown): boolean {
  const code = (err as { responseCode?: unknown })?.responseCode;
  return typeof code === 'number' && code >= 500 && code < 600;
}
