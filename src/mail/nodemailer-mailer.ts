import fs from 'node:fs/promises';
import path from 'node:path';
import crypto from 'node:crypto';
import nodemailer from 'nodemailer';
import type { Mailer, MailMessage, RawMail, SendResult } from './mailer';

export interface MailSettings {
  from: string;
  listId: string;
  unsubscribeMailto?: string;
  dkim?: { domainName: string; keySelector: string; privateKey: string };
}

export interface SmtpSettings {
  url: string;
  maxConnections: number;
  /** Messages per second; 0 = unlimited. */
  ratePerSecond: number;
}

type Transport = ReturnType<typeof nodemailer.createTransport>;

/** Pooled SMTP through nodemailer. */
export function createSmtpMailer(smtp: SmtpSettings, mail: MailSettings): Mailer {
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
  return new NodemailerMailer(transport, mail, async () => {});
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
      subject: message.subject,
      html: message.html,
      text: message.text,
      messageId: `<${crypto.randomUUID()}@${this.settings.listId}>`,
      list: { unsubscribe, id: this.settings.listId } as never,
      headers: { 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
    });
    await this.afterSend(info);
    return { messageId: info.messageId };
  }

  async sendRaw(mail: RawMail): Promise<SendResult> {
    const info = await this.transport.sendMail({
      envelope: { from: addressOf(this.settings.from), to: [mail.to] },
      raw: mail.raw,
    });
    await this.afterSend(info);
    return { messageId: info.messageId };
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}

function addressOf(from: string): string {
  return /<([^>]+)>/.exec(from)?.[1] ?? from;
}
