import fs from 'node:fs/promises';
import path from 'node:path';
import crypto from 'node:crypto';
import nodemailer from 'nodemailer';
import type { Logger } from '../shared/logger';
import { SmtpFailure, type Mailer, type MailMessage, type RawMail, type SendResult } from './mailer';
import { DkimSigner, type DkimSettings } from './dkim-signer';
import { RawSmtpPool, type RawSmtpPoolOptions } from './raw-smtp-pool';
import { isVouchedSafe, smtpSafe } from './smtp-data';

export interface MailSettings {
  from: string;
  listId: string;
  unsubscribeMailto?: string;
  /** Where readers' replies go (MAIL_REPLY_TO). */
  replyTo?: string;
  /** Envelope sender (MAIL FROM) of every message, where bounces go (MAIL_RETURN_PATH); unset: `from`'s address. */
  returnPath?: string;
  /** Signs every message: transactional mail through nodemailer's signer, editions through DkimSigner. */
  dkim?: DkimSettings;
}

export interface SmtpSettings {
  url: string;
  maxConnections: number;
  /** Messages per second; 0 = unlimited. */
  ratePerSecond: number;
  /** How long an edition's message waits for the server's final answer (RawSmtpPool's messageTimeout). */
  messageTimeoutMs?: number;
  /** Connections beyond maxConnections for messages the server is slow to answer (RawSmtpPool's spareConnections). */
  spareConnections?: number;
  /** Hears how long the server took to answer each edition's message (the metrics' histogram). */
  onReply?: RawSmtpPoolOptions['onReply'];
}

type Transport = ReturnType<typeof nodemailer.createTransport>;

/**
 * SMTP through nodemailer. Transactional mail (send) goes through nodemailer's pooled transport,
 * which composes it; digests (sendRaw), already MIME, go through RawSmtpPool: connections opened by
 * nodemailer, messages sent by a pipelined session without the Mailer pipeline (see
 * raw-smtp-pool.ts for the measurements).
 * Each pool opens at most SMTP_MAX_CONNECTIONS and keeps its own SMTP_RATE_PER_SECOND. Both reject
 * with SmtpFailure. The logger hears, once, if digests cannot use the raw pool's pipelined session.
 */
export function createSmtpMailer(smtp: SmtpSettings, mail: MailSettings, logger: Pick<Logger, 'error'>): Mailer {
  const transport = nodemailer.createTransport({
    url: smtp.url,
    pool: true,
    maxConnections: smtp.maxConnections,
    maxMessages: 1000,
    ...(smtp.ratePerSecond > 0 ? { rateLimit: smtp.ratePerSecond, rateDelta: 1000 } : {}),
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
    dkim: mail.dkim,
  });
  const raw = new RawSmtpPool({
    url: smtp.url,
    maxConnections: smtp.maxConnections,
    ratePerSecond: smtp.ratePerSecond,
    maxMessagesPerConnection: 1000,
    messageTimeout: smtp.messageTimeoutMs,
    spareConnections: smtp.spareConnections,
    logger,
    onReply: smtp.onReply,
  });
  return new SmtpMailer(new NodemailerMailer(transport, mail, async () => {}), raw, mail);
}

/** nodemailer's transport for transactional mail, the raw pool for digests. */
class SmtpMailer implements Mailer {
  private readonly envelopeFrom: string;
  private readonly dkim: DkimSigner | undefined;

  constructor(
    private readonly composed: NodemailerMailer,
    private readonly raw: RawSmtpPool,
    settings: MailSettings,
  ) {
    this.envelopeFrom = envelopeSender(settings);
    // The key is parsed here, at start-up: a bad one stops the process before any edition.
    this.dkim = settings.dkim ? new DkimSigner(settings.dkim) : undefined;
  }

  send(message: MailMessage): Promise<SendResult> {
    return this.composed.send(message);
  }

  async sendRaw(mail: RawMail): Promise<void> {
    let message = typeof mail.raw === 'string' ? Buffer.from(mail.raw, 'utf8') : mail.raw;
    if (this.dkim) {
      // A copy vouched SMTP-safe has CRLF line breaks only (a quicker body check), and stays safe
      // signed: the signature field is CRLF lines, none starting with a dot.
      const vouched = isVouchedSafe(message);
      const signed = await this.dkim.sign(message, { crlfOnly: vouched });
      message = vouched ? smtpSafe(signed) : signed;
    }
    await this.raw.send({ from: digestEnvelopeSender(this.envelopeFrom, mail), to: mail.to }, message, mail.onStall);
  }

  /** In-flight digest sends finish first, then every connection says QUIT. */
  async close(): Promise<void> {
    await Promise.all([this.raw.close(), this.composed.close()]);
  }
}

/**
 * Writes each message as an .eml file instead of sending it: the default when no SMTP server is
 * configured, so a newcomer can read every email Bulletin would send.
 */
export function createOutboxMailer(dir: string, mail: MailSettings): Mailer {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  return new NodemailerMailer(transport, mail, async (info) => {
    await fs.mkdir(dir, { recursive: true });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const file = `${stamp}-${crypto.randomBytes(4).toString('hex')}.eml`;
    await fs.writeFile(path.join(dir, file), info.message as Buffer);
  });
}

class NodemailerMailer implements Mailer {
  constructor(
    private readonly transport: Transport,
    private readonly settings: MailSettings,
    private readonly afterSend: (info: { message?: unknown }) => Promise<void>,
  ) {}

  async send(message: MailMessage): Promise<SendResult> {
    const unsubscribe = this.settings.unsubscribeMailto
      ? [[message.unsubscribeUrl, `mailto:${this.settings.unsubscribeMailto}?subject=unsubscribe`]]
      : [[message.unsubscribeUrl]];
    const info = await this.transport.sendMail({
      from: this.settings.from,
      to: message.to,
      // Without it nodemailer takes MAIL FROM from `from`; with MAIL_RETURN_PATH bounces go there.
      envelope: { from: envelopeSender(this.settings), to: [message.to] },
      replyTo: this.settings.replyTo,
      subject: message.subject,
      html: message.html,
      text: message.text,
      messageId: `<${crypto.randomUUID()}@${this.settings.listId}>`,
      list: { unsubscribe, id: this.settings.listId } as never,
      headers: { 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
    }).catch(rethrowAsSmtpFailure);
    await this.afterSend(info);
    return { messageId: info.messageId };
  }

  async sendRaw(mail: RawMail): Promise<void> {
    const info = await this.transport.sendMail({
      envelope: { from: digestEnvelopeSender(envelopeSender(this.settings), mail), to: [mail.to] },
      raw: mail.raw,
    }).catch(rethrowAsSmtpFailure);
    await this.afterSend(info);
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}

function rethrowAsSmtpFailure(err: unknown): never {
  throw SmtpFailure.from(err);
}

/** MAIL FROM of every message: MAIL_RETURN_PATH, else the address of MAIL_FROM. */
function envelopeSender(settings: MailSettings): string {
  return settings.returnPath ?? addressOf(settings.from);
}

/** A digest's MAIL FROM: the envelope sender, with the delivery's tag after a `+` when it has one (VERP). */
function digestEnvelopeSender(envelopeFrom: string, mail: RawMail): string {
  return mail.bounceTag ? verpAddress(envelopeFrom, mail.bounceTag) : envelopeFrom;
}

/**
 * `local+tag@domain` (VERP). A `+tag` the address already has is replaced: the MTA's recipient
 * delimiter (Postfix `recipient_delimiter = +`) delivers every tag to the one bounce mailbox.
 */
export function verpAddress(address: string, tag: string): string {
  const at = address.lastIndexOf('@');
  if (at < 1) return address;
  const local = address.slice(0, at).split('+')[0];
  return `${local}+${tag}${address.slice(at)}`;
}

function addressOf(from: string): string {
  return /<([^>]+)>/.exec(from)?.[1] ?? from;
}
