import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import type { Config } from './config';
import { DeliveryMessageIds } from './digests/delivery-message-ids';
import { openConfiguredDatabase, type ConfiguredDatabase, type DatabaseConfig } from './db/connect';
import type { Mailer } from './mail/mailer';
import type { SmtpMetrics } from './metrics/metrics';
import { createOutboxMailer, createSmtpMailer, type MailSettings } from './mail/nodemailer-mailer';
import { Templates, type EmailBrand } from './mail/templates';
import { createLogger, type Logger } from './shared/logger';
import { listeningUrl } from './shared/network-address';
import { SignedLinks } from './shared/signed-links';
import { SecretBox } from './events/secret-box';

/**
 * The real dependencies built from the config, the same way for the service (main.ts) and for the
 * commands (src/cli): an email sent by `npm run digest:now` carries links the server verifies.
 */

export const projectRoot = path.resolve(__dirname, '..');
export const templatesDir = path.join(projectRoot, 'templates');
export const migrationsDir = path.join(projectRoot, 'prisma', 'migrations');

/** Config with PUBLIC_URL resolved: the configured one, or the address the server listens on. */
export type LinkedConfig = Config & { PUBLIC_URL: string };

/** `port` is the one really listened on (PORT=0 picks one), or PORT for a command beside the server. */
export function withPublicUrl(config: Config, port: number): LinkedConfig {
  return Object.freeze({ ...config, PUBLIC_URL: config.PUBLIC_URL ?? listeningUrl(config.HOST, port) });
}

/** DATABASE_URL, or the embedded database of DATA_DIR; migrated to this code's schema. */
export function openDatabase(config: DatabaseConfig, logger: Logger): Promise<ConfiguredDatabase> {
  return openConfiguredDatabase(config, logger, migrationsDir);
}

/** SMTP_URL when set, else .eml files in OUTBOX_DIR. */
/** The logger hears, once and loudly, if digests must fall back to nodemailer's slower client. */
/** `metrics` hears the SMTP server's time to answer each edition's message. */
export function openMailer(config: Config, logger: Logger, metrics?: SmtpMetrics): Mailer {
  return config.SMTP_URL
    ? createSmtpMailer(
        {
          url: config.SMTP_URL,
          maxConnections: config.SMTP_MAX_CONNECTIONS,
          ratePerSecond: config.SMTP_RATE_PER_SECOND,
          messageTimeoutMs: config.SMTP_MESSAGE_TIMEOUT_MS,
          spareConnections: config.SMTP_SPARE_CONNECTIONS,
          onReply: metrics ? (seconds, reply) => metrics.smtpReply(seconds, reply) : undefined,
        },
        mailSettings(config),
        logger,
      )
    : createOutboxMailer(config.OUTBOX_DIR, mailSettings(config));
}

export function openTemplates(config: Config): Templates {
  return new Templates(templatesDir, emailBrand(config));
}

/** Signs with SECRET_KEY (or the development key beside the embedded data); earlier keys still verify. */
export function signedLinks(config: Config, publicUrl: string): SignedLinks {
  return new SignedLinks(config.SECRET_KEY ?? developmentSecret(config.DATA_DIR), publicUrl, config.SECRET_KEY_PREVIOUS);
}

/** Message-IDs that name their delivery, signed with the same keys as the links. */
export function deliveryMessageIds(config: Config): DeliveryMessageIds {
  return new DeliveryMessageIds(config.SECRET_KEY ?? developmentSecret(config.DATA_DIR), config.SECRET_KEY_PREVIOUS);
}

/** Seals webhook secrets under the same key as the links (earlier keys still open them). */
export function webhookSecrets(config: Config): SecretBox {
  return new SecretBox(config.SECRET_KEY ?? developmentSecret(config.DATA_DIR), config.SECRET_KEY_PREVIOUS);
}

/** A command's logs go to stderr, so its stdout carries only the report. */
export function commandLogger(config: Pick<Config, 'LOG_LEVEL'>): Logger {
  return createLogger(config.LOG_LEVEL, pino.destination(2));
}

export function mailSettings(config: Config): MailSettings {
  return {
    from: config.MAIL_FROM,
    listId: config.LIST_ID,
    unsubscribeMailto: config.UNSUBSCRIBE_MAILTO,
    replyTo: config.MAIL_REPLY_TO,
    returnPath: config.MAIL_RETURN_PATH,
    dkim:
      config.DKIM_DOMAIN && config.DKIM_SELECTOR && config.DKIM_PRIVATE_KEY
        ? { domainName: config.DKIM_DOMAIN, keySelector: config.DKIM_SELECTOR, privateKey: config.DKIM_PRIVATE_KEY }
        : undefined,
  };
}

export function emailBrand(config: Config): EmailBrand {
  return { postalAddress: config.MAIL_POSTAL_ADDRESS, logoUrl: config.MAIL_LOGO_URL, replyTo: config.MAIL_REPLY_TO };
}

/** Without DATABASE_URL (local use), a random key is made once and kept beside the embedded data. */
export function developmentSecret(dataDir: string): string {
  const file = path.join(dataDir, 'secret-key');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(file, crypto.randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
  }
  return fs.readFileSync(file, 'utf8').trim();
}
