import crypto from 'node:crypto';
import { z } from 'zod';
import { cronProblem, isTimeZone, TIME_ZONE_PROBLEM } from './shared/schedule-rules';
import { pemLineBreaks, readDkimKey } from './shared/dkim-key';

/**
 * The only reader of process.env. Every setting is declared once here with its default and a
 * one-line description; `.env.example` and the README's table list the same variables.
 */

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const list = z
  .string()
  .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean));
const url = z.url({ protocol: /^https?$/ });
/** Example values (docker-compose.yml's, "change-me"...) must never sign real links or guard the admin API. */
const notPlaceholder = (v: string) => !/change[-_ ]?me|replace[-_ ]?me|placeholder|example|your[-_ ]?(secret|token|key)/i.test(v);
const placeholderMessage = 'is a placeholder: make a random one with `openssl rand -hex 32`';
/** Checked at start, as pg-boss will read it: a bad one stops start-up here instead of failing later inside a job. */
const cron = z.string().superRefine((v, ctx) => {
  const problem = cronProblem(v);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});
const timeZone = z.string().refine(isTimeZone, TIME_ZONE_PROBLEM);
/** A webhook's shared secret: long enough not to be guessed, and no example value. */
const webhookSecret = z.string().min(32, 'must be at least 32 characters').refine(notPlaceholder, placeholderMessage);
/** An SNS topic's ARN (arn:aws:sns:<region>:<account>:<name>), as SES publishes to it. */
const topicArn = z.string().regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]{1,256}$/, 'must be an SNS topic ARN: arn:aws:sns:<region>:<account>:<topic>');
/** SendGrid shows its verification key as base64 DER (SPKI) without PEM lines; a PEM is taken too. */
const ecPublicKey = z.string().trim().refine((v) => isP256PublicKey(v), 'must be the ECDSA P-256 verification key SendGrid shows (base64, or PEM)');

/** The key as `crypto` takes it, from SendGrid's base64 DER or a PEM. */
export function sendGridPublicKey(value: string): crypto.KeyObject {
  const pem = value.includes('BEGIN PUBLIC KEY') ? value : `-----BEGIN PUBLIC KEY-----\n${value.replace(/\s+/g, '')}\n-----END PUBLIC KEY-----`;
  return crypto.createPublicKey(pem);
}

function isP256PublicKey(value: string): boolean {
  try {
    const key = sendGridPublicKey(value);
    return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
  } catch {
    return false;
  }
}

export const configSchema = z.object({
  PORT: int(0, 65535).default(3000).describe('HTTP port to listen on (0 picks a free port)'),
  HOST: z.string().default('127.0.0.1').describe('Interface to listen on (0.0.0.0 in containers)'),
  PUBLIC_URL: url
    .transform((v) => v.replace(/\/+$/, ''))
    .optional()
    .describe('Public base URL of links in emails and pages; unset uses the address the server listens on'),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info')
    .describe('pino log level'),

  DATABASE_URL: z
    .url({ protocol: /^postgres(ql)?$/ })
    .optional()
    .describe('PostgreSQL connection URL; unset runs an embedded PostgreSQL'),
  DATABASE_POOL_SIZE: int(1, 200).default(10).describe('Connections in the database pool'),
  DATABASE_CONNECT_TIMEOUT_MS: int(100, 60_000)
    .default(1000)
    .describe('Wait for a database connection (new, or free in the pool) before answering 503'),
  DATABASE_QUERY_TIMEOUT_MS: int(100, 600_000)
    .default(1000)
    .describe('Longest a query may take before it is cancelled and the request answers 503 (bulk jobs excepted)'),
  DATA_DIR: z
    .string()
    .default('.data')
    .describe('Local state without DATABASE_URL: embedded PostgreSQL data and password, a generated SECRET_KEY'),
  EMBEDDED_DB_PORT: int(1, 65535)
    .default(54329)
    .describe('Port the embedded PostgreSQL starts on (commands find a running one through DATA_DIR)'),

  SMTP_URL: z
    .url({ protocol: /^smtps?$/ })
    .optional()
    .describe('SMTP server URL (smtp://user:pass@host:587); unset writes emails to OUTBOX_DIR'),
  OUTBOX_DIR: z.string().default('outbox').describe('Folder for .eml files when SMTP_URL is unset'),
  MAIL_FROM: z
    .string()
    .default('Bulletin <newsletter@localhost>')
    .describe("From address of every email; its display name is the site's name (a newsletter's fromName replaces it on its emails)"),
  MAIL_POSTAL_ADDRESS: z
    .string()
    .trim()
    .max(300)
    .optional()
    .describe("Publisher's postal address, shown in every email's footer; required with SMTP_URL (US and EU bulk mail law)"),
  MAIL_REPLY_TO: z
    .string()
    .trim()
    .regex(/^([^<>@\r\n]*<[^<>@\s]+@[^<>@\s]+>|[^<>@\s]+@[^<>@\s]+)$/, 'must be an address, optionally with a name: Name <a@b.example>')
    .optional()
    .describe("Reply-To of every email, where readers' replies go (a newsletter's replyTo replaces it on its emails)"),
  MAIL_BOUNCE_VERP: bool
    .default(false)
    .describe("Each edition's envelope sender (MAIL_RETURN_PATH, else MAIL_FROM's address) carries its delivery, local+<signed id>@domain (VERP), for the raw bounce door"),
  MAIL_LOGO_URL: z
    .url({ protocol: /^https$/, message: 'must be an https URL' })
    .optional()
    .describe("https URL of a logo image for the emails' masthead (shown 200 px wide; its alt text is the site's name)"),
  MAIL_RETURN_PATH: z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.email('must be a bare address: bounces@news.example'))
    .optional()
    .describe("Envelope sender (MAIL FROM, the Return-Path) of every email, where bounces go; unset uses MAIL_FROM's address"),
  FEEDBACK_ID_SENDER: z
    .string()
    .regex(/^[A-Za-z0-9._-]{5,15}$/, 'must be 5 to 15 letters, digits, dots, hyphens or underscores (Gmail\'s SenderId)')
    .optional()
    .describe("Last field of the Feedback-ID header on editions (Gmail's SenderId, 5-15 characters); unset uses MAIL_FROM's domain"),
  SMTP_MAX_CONNECTIONS: int(1, 100).default(5).describe('SMTP connections per pool (digests and other mail each have one)'),
  SMTP_RATE_PER_SECOND: int(0, 100000).default(0).describe('Max messages per second, 0 = unlimited'),
  SMTP_RATE_PER_HOUR: int(0, 100000000).default(0).describe('Max messages per hour, 0 = unlimited'),
  SMTP_MESSAGE_TIMEOUT_MS: int(1000, 600_000)
    .default(30_000)
    .describe("Longest an edition's message waits for the server's answer, then it is retried later like a 4xx (shorter when the server is silent on many: see How an edition is sent)"),
  SMTP_SPARE_CONNECTIONS: int(0, 100)
    .default(5)
    .describe("Edition connections allowed beyond SMTP_MAX_CONNECTIONS while messages wait on a server silent past its usual answer time (0: never more)"),
  LIST_ID: z.string().default('bulletin.localhost').describe("List-Id of the subscription emails (a domain-like name); a newsletter's emails put its slug in front (sports.bulletin.localhost)"),
  UNSUBSCRIBE_MAILTO: z
    .email()
    .optional()
    .describe('Address added as mailto: to List-Unsubscribe'),
  DKIM_DOMAIN: z
    .string()
    .regex(/^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/, 'must be a domain name (news.example.com)')
    .optional()
    .describe("DKIM signing domain (d=), usually MAIL_FROM's; set with DKIM_SELECTOR and DKIM_PRIVATE_KEY to sign every email"),
  DKIM_SELECTOR: z
    .string()
    .regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'must be a DNS label (bulletin, 2026a)')
    .optional()
    .describe('DKIM selector (s=): the public key is published as the TXT record `<selector>._domainkey.<domain>`'),
  DKIM_PRIVATE_KEY: z
    .string()
    .transform(pemLineBreaks)
    .superRefine((v, ctx) => {
      try {
        readDkimKey(v);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
      }
    })
    .optional()
    .describe('DKIM private key: RSA, PEM (`\\n` escapes on one line are taken), 2048 bits advised; checked at start'),

  SECRET_KEY: z
    .string()
    .min(32, 'must be at least 32 characters')
    .refine(notPlaceholder, placeholderMessage)
    .optional()
    .describe('Key that signs links in emails; required with DATABASE_URL'),
  SECRET_KEY_PREVIOUS: list
    .pipe(z.array(z.string().min(32, 'each key must be at least 32 characters')))
    .default([])
    .describe('Earlier SECRET_KEYs, comma-separated: links signed with them still work after a rotation'),
  ADMIN_TOKEN: z
    .string()
    .min(24, 'must be at least 24 characters')
    .refine(notPlaceholder, placeholderMessage)
    .optional()
    .describe("Bearer token of the admin API, with full rights; unset, only users' API tokens from the console open it"),
  METRICS_TOKEN: z
    .string()
    .min(24, 'must be at least 24 characters')
    .refine(notPlaceholder, placeholderMessage)
    .optional()
    .describe('Bearer token that opens GET /metrics from other machines; unset, only requests from this machine (loopback, not proxied) see it'),
  ADMIN_SESSION_IDLE_MINUTES: int(1, 24 * 60)
    .default(60)
    .describe('Minutes without a request after which a console session ends (the user signs in again)'),
  ADMIN_SESSION_MAX_HOURS: int(1, 24 * 30)
    .default(12)
    .describe('Hours after sign-in at which a console session ends, however active'),
  ADMIN_LOGIN_LIMIT_PER_IP: int(1, 100000)
    .default(30)
    .describe('Console sign-in attempts per IP per RATE_LIMIT_WINDOW_SECONDS'),
  ADMIN_LOGIN_LIMIT_PER_ADDRESS: int(1, 1000)
    .default(10)
    .describe('Console sign-in attempts per email address per RATE_LIMIT_WINDOW_SECONDS'),
  CORS_ORIGINS: list.default([]).describe('Origins allowed to POST JSON signups cross-origin'),
  TRUST_PROXY: z.string().default('loopback').describe("Express 'trust proxy' setting"),

  CONFIRMATION_TTL_HOURS: int(1, 24 * 30).default(48).describe('Hours a confirmation link stays valid'),
  CONFIRMATION_RESEND_MINUTES: int(0, 24 * 60)
    .default(10)
    .describe('Minimum minutes between two confirmation emails, or two manage-link emails, to one address'),
  LEDGER_KEEP_DAYS: int(0, 3650)
    .default(30)
    .describe("Days after an edition finished that its sent delivery rows are kept; then they are deleted, its counts and failed/skipped rows kept (0: keep every row forever)"),
  PENDING_PURGE_DAYS: int(1, 3650).default(30).describe('Days after which unconfirmed signups are deleted'),
  LIST_IMPORT_MAX_MB: int(1, 1024).default(50).describe('Largest CSV file the admin list import takes, in MB (a 100,000-row Mailchimp export is about 20 MB; above 150, raise the heap: README, Memory)'),
  RATE_LIMIT_PER_IP: int(1, 100000).default(20).describe('Public POSTs per IP per RATE_LIMIT_WINDOW_SECONDS'),
  RATE_LIMIT_PER_ADDRESS: int(1, 1000).default(5).describe('Signups per email address per window'),
  RATE_LIMIT_WINDOW_SECONDS: int(1, 86400).default(600).describe('Rate limit window'),

  DIGEST_DAILY_CRON: cron
    .optional()
    .describe('Legacy: when set, applied at start as the schedule (cron) of the `daily` newsletter'),
  DIGEST_WEEKLY_CRON: cron
    .optional()
    .describe('Legacy: when set, applied at start as the schedule (cron) of the `weekly` newsletter'),
  DIGEST_TIMEZONE: timeZone
    .optional()
    .describe('Legacy: when set, applied at start as the time zone of the `daily` and `weekly` newsletters'),
  DIGEST_MAX_ARTICLES: int(1, 100)
    .optional()
    .describe('Legacy: when set, applied at start as the most articles of the `daily` and `weekly` newsletters'),
  SEND_BATCH_SIZE: int(1, 10000).default(200).describe('Most deliveries a sender claims at a time (never more than 4 x SEND_CONCURRENCY)'),
  SEND_LEASE_SECONDS: int(10, 86400)
    .default(120)
    .describe("Backstop: a claimed delivery whose sender's beat cannot be judged is taken over after this"),
  // 50, not 20: each lane waits for its message's sent mark to commit before the next (that bounds
  // what a crash can duplicate), so 20 lanes kept 5 SMTP connections busy only part of the time:
  // 20 -> 50 took the send from ~1,300-1,900 to ~2,200-3,300 msg/s, same runs (docs/benchmarks.md).
  SEND_CONCURRENCY: int(1, 500).default(50).describe('Messages being sent or being recorded at once per sending process (a crash can duplicate at most these)'),
  SEND_MAX_ATTEMPTS: int(1, 50).default(8).describe('Attempts before a transient failure is final'),
  SEND_RETRY_DELAY_SECONDS: int(1, 86400)
    .default(60)
    .describe('Wait before retrying a 4xx-refused delivery; doubles per attempt (max 1 h)'),
  HARD_BOUNCE_LIMIT: int(1, 100).default(3).describe('Permanent failures in a row that suppress an address'),

  BOUNCE_WEBHOOK_SECRET: webhookSecret
    .optional()
    .describe('Key of the generic bounce webhook (POST /webhooks/bounces, HMAC-SHA256); unset, that door answers 404'),
  BOUNCE_RAW_SECRET: webhookSecret
    .optional()
    .describe('Key of the raw bounce door (POST /webhooks/bounces/raw: whole DSN and ARF messages from a Postfix pipe or mailbox fetcher, HMAC-SHA256); unset: 404'),
  BOUNCE_SES_TOPIC_ARNS: list
    .pipe(z.array(topicArn))
    .default([])
    .describe('SNS topics whose SES bounce and complaint notifications are taken (POST /webhooks/bounces/ses), comma-separated; none: 404'),
  BOUNCE_POSTMARK_CREDENTIALS: z
    .string()
    .regex(/^[^:\s]{1,100}:\S{16,200}$/, 'must be user:password, the password at least 16 characters')
    .refine(notPlaceholder, placeholderMessage)
    .optional()
    .describe('user:password that Postmark sends (Basic auth in the webhook URL) to POST /webhooks/bounces/postmark; unset: 404'),
  BOUNCE_MAILGUN_SIGNING_KEY: z
    .string()
    .min(16, 'must be at least 16 characters')
    .refine(notPlaceholder, placeholderMessage)
    .optional()
    .describe("Mailgun's HTTP webhook signing key, for POST /webhooks/bounces/mailgun; unset: 404"),
  BOUNCE_SENDGRID_PUBLIC_KEY: ecPublicKey
    .optional()
    .describe("SendGrid's Signed Event Webhook verification key (base64), for POST /webhooks/bounces/sendgrid; unset: 404"),
  BOUNCE_SOFT_LIMIT: int(1, 100)
    .default(3)
    .describe('Soft bounces within BOUNCE_SOFT_WINDOW_DAYS that suppress an address (a hard bounce or a complaint suppresses at once)'),
  BOUNCE_SOFT_WINDOW_DAYS: int(1, 365).default(7).describe('Days over which soft bounces are counted'),
  BOUNCE_WEBHOOK_LIMIT_PER_IP: int(1, 1_000_000)
    .default(3000)
    .describe('Bounce webhook requests per IP per RATE_LIMIT_WINDOW_SECONDS (providers post one per bounce, from few IPs)'),
  FEED_URLS: list.default([]).describe('RSS/Atom feed URLs added to the feeds at start if missing (the console edits the list; none is removed)'),
  FEED_POLL_CRON: cron.default('*/15 * * * *').describe('When feeds are polled (cron)'),
  BREAKING_FEED_CATEGORIES: list
    .default([])
    .describe('Feed categories that make a polled item breaking news (sent at once to alert newsletters), comma-separated, any case'),

  WEBHOOKS_ALLOW_PRIVATE: bool
    .default(false)
    .describe('Let outgoing webhooks reach loopback, private and link-local addresses (off: refused at registration and at each delivery)'),
  WEBHOOK_RETRY_BASE_SECONDS: int(1, 3600)
    .default(60)
    .describe('Wait before retrying a failed webhook delivery; doubles per attempt up to 6 h, 12 attempts in all'),
  WEBHOOK_EVENTS_KEEP_DAYS: int(0, 3650)
    .default(30)
    .describe('Days an outgoing webhook event and its deliveries are kept after it happened (once none waits for an attempt); then they are deleted (0: keep them forever)'),

  RUN_JOBS: bool.default(true).describe('Run background jobs (sending, schedules) in this process'),
});

export type Config = Readonly<z.infer<typeof configSchema>>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type ConfigKey = keyof typeof configSchema.shape;
type Environment = Record<string, string | undefined>;

/**
 * Checks between settings, each run only when all its variables are loaded (a command that loads
 * only the database settings is not asked for SECRET_KEY).
 */
const crossChecks: Array<{ keys: ConfigKey[]; problem: (c: z.infer<typeof configSchema>) => string | undefined }> = [
  {
    keys: ['DATABASE_URL', 'SECRET_KEY'],
    problem: (c) =>
      c.DATABASE_URL && !c.SECRET_KEY ? 'SECRET_KEY: required when DATABASE_URL is set (links in emails are signed with it)' : undefined,
  },
  {
    keys: ['DKIM_DOMAIN', 'DKIM_SELECTOR', 'DKIM_PRIVATE_KEY'],
    problem: (c) => {
      const dkim = [c.DKIM_DOMAIN, c.DKIM_SELECTOR, c.DKIM_PRIVATE_KEY].filter(Boolean).length;
      return dkim !== 0 && dkim !== 3 ? 'DKIM_DOMAIN, DKIM_SELECTOR, DKIM_PRIVATE_KEY: set all three or none' : undefined;
    },
  },
  {
    keys: ['SMTP_URL', 'MAIL_POSTAL_ADDRESS'],
    problem: (c) =>
      c.SMTP_URL && !c.MAIL_POSTAL_ADDRESS
        ? "MAIL_POSTAL_ADDRESS: required when SMTP_URL is set (bulk email must carry the sender's postal address)"
        : undefined,
  },
];

/** Empty strings (e.g. `SMTP_URL=` in .env) mean "not set", as users expect. */
function presentVariables(env: Environment): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''));
}

function parse(keys: readonly ConfigKey[] | undefined, env: Environment): object {
  const schema: z.ZodType<object> = keys
    ? configSchema.pick(Object.fromEntries(keys.map((k) => [k, true])) as Record<ConfigKey, true>)
    : configSchema;
  const parsed = schema.safeParse(presentVariables(env));
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const loaded = keys ?? (Object.keys(configSchema.shape) as ConfigKey[]);
  const problems = crossChecks
    .filter((check) => check.keys.every((k) => loaded.includes(k)))
    .map((check) => check.problem(parsed.data as z.infer<typeof configSchema>))
    .filter((p): p is string => p !== undefined);
  if (problems.length) throw new ConfigError(problems);
  return Object.freeze(parsed.data);
}

/** Parses the environment once; throws a ConfigError naming each bad variable and why. */
export function loadConfig(env: Environment = process.env): Config {
  return parse(undefined, env) as Config;
}

/**
 * Only the named settings, by the same rules, for the commands that need no more (an article import
 * needs no SECRET_KEY or mail settings, so it does not refuse to run without them).
 */
export function loadSettings<K extends ConfigKey>(keys: readonly K[], env: Environment = process.env): Readonly<Pick<Config, K>> {
  return parse(keys, env) as unknown as Readonly<Pick<Config, K>>;
}

/**
 * The environment of the commands in src/cli (`npm run digest:now`...): their stdout is the report,
 * so unless LOG_LEVEL says otherwise they log warnings only (on stderr, see src/wiring.ts).
 */
export function commandEnvironment(env: Environment = process.env): Environment {
  return { LOG_LEVEL: 'warn', ...presentVariables(env) };
}
