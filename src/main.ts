import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import http, { type Server } from 'node:http';
import { loadConfig, type Config } from './config';
import { createLogger, type Logger } from './shared/logger';
import { openConfiguredDatabase } from './db/connect';
import { createOutboxMailer, createSmtpMailer, type MailSettings } from './mail/nodemailer-mailer';
import { Templates, type EmailBrand } from './mail/templates';
import { startJobQueue } from './jobs/job-queue';
import { createApp } from './http/app';
import { Pages } from './http/pages';
import { SignedLinks } from './shared/signed-links';
import { createSubscriptions } from './subscriptions/create-subscriptions';
import { createPublicRateLimits } from './http/rate-limit';
import { subscriptionsRouter } from './http/routes/subscriptions';
import { subscriberLinksRouter } from './http/routes/subscriber-links';
import { systemClock, type WaitingClock } from './shared/clock';
import { ArticleRepository } from './articles/article-repository';
import { ArticleService } from './articles/article-service';
import { FeedPoller } from './articles/feed-poller';
import { registerArticleJobs } from './articles/article-jobs';
import { adminArticlesRouter } from './http/routes/admin-articles';
import { createDigests } from './digests/create-digests';
import { adminDigestsRouter } from './http/routes/admin-digests';
import { digestPagesRouter } from './http/routes/digest-pages';
import { isLoopback, listeningUrl } from './shared/network-address';

export const projectRoot = path.resolve(__dirname, '..');
const templatesDir = path.join(projectRoot, 'templates');
const migrationsDir = path.join(projectRoot, 'prisma', 'migrations');

export interface RunningBulletin {
  url: string;
  /** PUBLIC_URL resolved: the configured one, or the address the server listens on. */
  config: Config & { PUBLIC_URL: string };
  stop(): Promise<void>;
}

/**
 * The one place that builds real dependencies and wires them together:
 * config -> database -> migrations -> mailer -> job queue -> services -> HTTP.
 */
export async function startBulletin(
  config: Config,
  logger: Logger = createLogger(config.LOG_LEVEL),
  /** Tests pass one they can move forward. */
  clock: WaitingClock = systemClock,
): Promise<RunningBulletin> {
  const cleanup: Array<() => Promise<unknown>> = [];
  // Bound before anything is built, so links can name the port really taken (PORT=0 picks one).
  const { server, attach } = await listenNotReady(config.PORT, config.HOST);
  const url = listeningUrl(config.HOST, (server.address() as AddressInfo).port);
  const publicUrl = config.PUBLIC_URL ?? url;
  const linkedConfig = Object.freeze({ ...config, PUBLIC_URL: publicUrl });
  try {
    const database = await openConfiguredDatabase(config, logger, migrationsDir);
    cleanup.unshift(() => database.stop());
    const { db, url: databaseUrl } = database;
    const secretKey = config.SECRET_KEY ?? developmentSecret(config.DATA_DIR);

    const mailer = config.SMTP_URL
      ? createSmtpMailer(
          { url: config.SMTP_URL, maxConnections: config.SMTP_MAX_CONNECTIONS, ratePerSecond: config.SMTP_RATE_PER_SECOND },
          mailSettings(config),
          logger,
        )
      : createOutboxMailer(config.OUTBOX_DIR, mailSettings(config));
    cleanup.unshift(() => mailer.close());

    const templates = new Templates(templatesDir, emailBrand(config));
    const boss = await startJobQueue({ connectionString: databaseUrl, logger, schedule: config.RUN_JOBS });
    // Stopping the queue first lets running jobs finish before the mailer and database close.
    cleanup.unshift(() => boss.stop({ graceful: true, timeout: 20_000 }));
    const links = new SignedLinks(secretKey, publicUrl, config.SECRET_KEY_PREVIOUS);
    const subscriptions = createSubscriptions({ prisma: db.prisma, pool: db.pool, boss, mailer, templates, links, clock, logger, config: linkedConfig });
    await subscriptions.registerJobs();
    // Every instance relays the mail requests its own requests wrote; it stops before the queue.
    subscriptions.mailRequests.start();
    cleanup.unshift(() => subscriptions.mailRequests.stop());
    const publicLimits = createPublicRateLimits(config, clock);

    const articles = new ArticleService({ repository: new ArticleRepository({ db }), clock });
    if (config.RUN_JOBS) {
      const poller = new FeedPoller({ articles, logger });
      await registerArticleJobs({ boss, poller, feedUrls: config.FEED_URLS, cron: config.FEED_POLL_CRON, logger });
    }

    const digests = createDigests({ pool: db.pool, mailer, templates, links, clock, logger, config: linkedConfig });
    if (config.RUN_JOBS) {
      // Registered after the queue, so it runs before it: in-flight sends finish and are recorded
      // before the job queue, the mailer and the database close.
      cleanup.unshift(await digests.startJobs(boss));
    }

    const outboxDir = config.SMTP_URL ? undefined : path.resolve(config.OUTBOX_DIR);
    // The viewer shows live confirm and manage links: only for someone at this machine.
    const outboxViewer = outboxDir !== undefined && isLoopback(config.HOST);
    const pages = new Pages(templatesDir, { listName: subscriptions.listName });
    const app = createApp({
      logger,
      pages,
      templatesDir,
      trustProxy: config.TRUST_PROXY,
      isDatabaseReachable: db.isReachable,
      outboxDir: outboxViewer ? outboxDir : undefined,
      routers: [
        adminArticlesRouter({ articles, adminToken: config.ADMIN_TOKEN }),
        subscriptionsRouter({
          ...subscriptions,
          pages,
          links,
          limits: publicLimits,
          publicUrl,
          corsOrigins: config.CORS_ORIGINS,
          confirmationTtlHours: config.CONFIRMATION_TTL_HOURS,
        }),
        subscriberLinksRouter({ ...subscriptions, pages, links, limits: publicLimits }),
        adminDigestsRouter({
          ...digests,
          adminToken: config.ADMIN_TOKEN,
          clock,
          publicUrl,
          wakeSender: () => digests.sender.wake(),
        }),
        digestPagesRouter({ ...digests, pages }),
      ],
    });
    attach(app);
    cleanup.unshift(() => closeServer(server));
    if (outboxDir && !outboxViewer) {
      logger.warn({ outboxDir, host: config.HOST }, 'outbox viewer not served: HOST is not a loopback address; emails are .eml files in outboxDir');
    }
    logger.info({ url, publicUrl, outboxDir, database: config.DATABASE_URL ? 'external' : 'embedded', mail: config.SMTP_URL ? 'smtp' : 'outbox' }, 'Bulletin is running');

    let stopping: Promise<void> | undefined;
    return {
      url,
      config: linkedConfig,
      stop: () => (stopping ??= runAll(cleanup)),
    };
  } catch (err) {
    await runAll(cleanup).catch(() => {});
    await closeServer(server);
    throw err;
  }
}

/** Runs shutdown steps in order (newest first: HTTP, jobs, mailer, database, embedded server). */
async function runAll(steps: Array<() => Promise<unknown>>): Promise<void> {
  for (const step of steps) await step();
}

export function mailSettings(config: Config): MailSettings {
  return {
    from: config.MAIL_FROM,
    listId: config.LIST_ID,
    unsubscribeMailto: config.UNSUBSCRIBE_MAILTO,
    replyTo: config.MAIL_REPLY_TO,
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

/** Listens at once and answers 503 until `attach` hands the requests to the app. */
function listenNotReady(port: number, host: string): Promise<{ server: Server; attach: (app: http.RequestListener) => void }> {
  const notReady: http.RequestListener = (_req, res) => {
    res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8', 'Retry-After': '5' }).end('Bulletin is starting\n');
  };
  const server = http.createServer(notReady);
  const attach = (app: http.RequestListener) => {
    server.off('request', notReady);
    server.on('request', app);
  };
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve({ server, attach });
    });
  });
}

/** Stops accepting connections, lets requests in progress finish, then drops idle keep-alives. */
function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

/** Entry point: `npm start`. A first SIGTERM/SIGINT shuts down gracefully, a second forces exit. */
async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    console.error((err as Error).message);
    process.exit(1);
  }
  const logger = createLogger(config.LOG_LEVEL);
  const bulletin = await startBulletin(config, logger).catch((err) => {
    // A problem the user fixes (a port in use, a folder PostgreSQL cannot reach) is one sentence.
    if (err instanceof Error && err.name === 'EmbeddedPostgresError') console.error(err.message);
    else if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      console.error(`Port ${config.PORT} on ${config.HOST} is taken by another program: set PORT to a free port, or stop that program.`);
    } else logger.fatal({ err }, 'start-up failed');
    process.exit(1);
  });
  let first: { signal: string; at: number } | undefined;
  const onSignal = (signal: string) => {
    if (first) {
      // One Ctrl-C can arrive twice: from the terminal (to the whole group) and from `npm start`,
      // which forwards it to its child. Only a later or different signal means "exit now".
      if (signal === first.signal && Date.now() - first.at < 2000) return;
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    first = { signal, at: Date.now() };
    logger.info({ signal }, 'shutting down');
    bulletin.stop().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (err) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

if (require.main === module) void main();
