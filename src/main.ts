import path from 'node:path';
import type { AddressInfo } from 'node:net';
import http, { type Server } from 'node:http';
import { loadConfig, type Config } from './config';
import { createLogger, type Logger } from './shared/logger';
import { startJobQueue } from './jobs/job-queue';
import { createApp } from './http/app';
import { Pages } from './http/pages';
import { createSubscriptions } from './subscriptions/create-subscriptions';
import { NewsletterRepository } from './newsletters/newsletter-repository';
import { createLoginRateLimits, createPublicRateLimits, FixedWindowRateLimiter } from './http/rate-limit';
import { bounceWebhooksRouter } from './http/routes/bounce-webhooks';
import { createBounces } from './bounces/create-bounces';
import type { HttpsGet } from './bounces/providers/https-get';
import { createAccounts } from './accounts/create-accounts';
import { consoleRouter } from './http/console/console-router';
import { EditionCurator } from './digests/edition-curator';
import { EditionDesk } from './digests/edition-desk';
import { DashboardStatistics } from './statistics/dashboard-statistics';
import { startStatisticsJobs } from './statistics/statistics-jobs';
import { LedgerRetention } from './digests/ledger-retention';
import { startRetentionJobs } from './digests/retention-jobs';
import { startAccountJobs } from './accounts/account-jobs';
import { subscriptionsRouter } from './http/routes/subscriptions';
import { subscriberLinksRouter } from './http/routes/subscriber-links';
import { systemClock, type WaitingClock } from './shared/clock';
import { ArticleRepository } from './articles/article-repository';
import { ArticleService } from './articles/article-service';
import { FeedPoller } from './articles/feed-poller';
import { FeedRepository } from './articles/feed-repository';
import { FeedService } from './articles/feed-service';
import { AuditedArticles } from './articles/audited-articles';
import { registerArticleJobs } from './articles/article-jobs';
import { adminArticlesRouter } from './http/routes/admin-articles';
import { createDigests } from './digests/create-digests';
import { AlertTrigger, startAlertJobs } from './digests/alert-jobs';
import { adminDigestsRouter } from './http/routes/admin-digests';
import { digestPagesRouter } from './http/routes/digest-pages';
import { createNewsletterAdmin } from './newsletters/create-newsletter-admin';
import { adminNewslettersRouter } from './http/routes/admin-newsletters';
import { newsletterPagesRouter } from './http/routes/newsletter-pages';
import { adminSubscribersRouter } from './http/routes/admin-subscribers';
import { adminSuppressionsRouter } from './http/routes/admin-suppressions';
import { adminWebhooksRouter } from './http/routes/admin-webhooks';
import { createEvents } from './events/create-events';
import { createSubscriberAdmin } from './lists/create-lists';
import { AuditedLists } from './lists/audited-lists';
import { ErasedAddresses } from './privacy/erased-addresses';
import { isLoopback, listeningUrl } from './shared/network-address';
import { Shutdown } from './shared/shutdown';
import { PrometheusMetrics } from './metrics/prometheus-metrics';
import { databaseGaugeSources } from './metrics/metrics-queries';
import { metricsRouter } from './http/routes/metrics';
import { disablePretenuring } from './shared/pretenuring';
import { deliveryMessageIds, openDatabase, openMailer, openTemplates, signedLinks, templatesDir, webhookSecrets, withPublicUrl, type LinkedConfig } from './wiring';

export interface RunningBulletin {
  url: string;
  /** PUBLIC_URL resolved: the configured one, or the address the server listens on. */
  config: LinkedConfig;
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
  /** What reaches outside the machine, for tests to stand in for: SNS certificates and subscription URLs. */
  outside: { httpsGet?: HttpsGet } = {},
): Promise<RunningBulletin> {
  const shutdown = new Shutdown(logger);
  // Bound before anything is built, so links can name the port really taken (PORT=0 picks one).
  const { server, attach } = await listenNotReady(config.PORT, config.HOST);
  shutdown.add('drain HTTP', 'server', () => closeServer(server));
  const port = (server.address() as AddressInfo).port;
  const url = listeningUrl(config.HOST, port);
  const linkedConfig = withPublicUrl(config, port);
  const publicUrl = linkedConfig.PUBLIC_URL;
  try {
    const database = await openDatabase(config, logger);
    shutdown.add('close pools', 'database pool', () => database.closePool());
    shutdown.add('stop embedded database', 'database', () => database.stop());
    const { db, url: databaseUrl } = database;

    // This instance's counters; the gauges are read from the database once the job queue runs.
    const metrics = new PrometheusMetrics({ processMetrics: true });
    const mailer = openMailer(config, logger, metrics);
    shutdown.add('close pools', 'mailer', () => mailer.close());

    const templates = openTemplates(config);
    const boss = await startJobQueue({ connectionString: databaseUrl, logger, schedule: config.RUN_JOBS });
    metrics.readGaugesFrom(databaseGaugeSources({ pool: db.pool, boss }), logger);
    // Running jobs (emails, a composition, a feed poll) finish before the mailer and database close.
    shutdown.add('finish in-flight', 'job queue', () => boss.stop({ graceful: true, timeout: 20_000 }));
    const links = signedLinks(config, publicUrl);
    const newsletters = new NewsletterRepository({ pool: db.pool });
    const erasedAddresses = new ErasedAddresses({ pool: db.pool });
    const accounts = createAccounts({ prisma: db.prisma, pool: db.pool, clock, publicUrl, config });
    const outgoing = createEvents({ prisma: db.prisma, pool: db.pool, boss, secrets: webhookSecrets(config), audit: accounts.audit, clock, logger, config });
    await outgoing.registerJobs();
    // Every instance relays the deliveries its changes recorded, like the mail requests below.
    outgoing.relay.start();
    shutdown.add('finish in-flight', 'webhook event relay', () => outgoing.relay.stop());
    const { events } = outgoing;
    const subscriptions = createSubscriptions({ prisma: db.prisma, pool: db.pool, boss, mailer, templates, links, newsletters, erasedAddresses, events, clock, logger, metrics, config: linkedConfig });
    await subscriptions.registerJobs();
    // Every instance relays the mail requests its own requests wrote: after HTTP drained, the last
    // ones go into the job queue before it stops.
    subscriptions.mailRequests.start();
    shutdown.add('finish in-flight', 'mail request relay', () => subscriptions.mailRequests.stop());
    const publicLimits = createPublicRateLimits(config, clock);

    const articles = new ArticleService({ repository: new ArticleRepository({ db }), clock, breakingNews: await AlertTrigger.open(boss) });
    const feeds = new FeedService({ feeds: new FeedRepository({ db }), audit: accounts.audit, clock, logger, configuredUrls: config.FEED_URLS });
    await feeds.seed();
    if (config.RUN_JOBS) {
      const poller = new FeedPoller({ articles, logger, breakingCategories: config.BREAKING_FEED_CATEGORIES });
      const stopPolling = await registerArticleJobs({ boss, poller, feeds, cron: config.FEED_POLL_CRON, logger });
      shutdown.add('stop claiming', 'feed polling', stopPolling);
    }

    const messageIds = deliveryMessageIds(config);
    const digests = createDigests({ pool: db.pool, mailer, templates, links, messageIds, clock, logger, newsletters, metrics, events, config: linkedConfig });
    await digests.applyLegacySettings();
    if (config.RUN_JOBS) {
      const digestJobs = await digests.startJobs(boss);
      shutdown.add('stop claiming', 'digest schedules and sender', () => digestJobs.stopClaiming());
      // Stop claiming before HTTP drains; the sends in flight are recorded before the pools close.
      shutdown.add('finish in-flight', 'digest sends', () => digestJobs.finishInFlight());
      shutdown.add('stop claiming', 'breaking-news alerts', await startAlertJobs({ boss, composer: digests.alerts, logger }));
    }

    // A changed newsletter reschedules at once, from any instance (the schedules live in the
    // database), and this instance's signups read the newsletters again.
    const onNewslettersChanged = () => {
      subscriptions.choices.forget();
      return digests.schedulesOn(boss).sync();
    };
    const newsletterAdmin = createNewsletterAdmin({ prisma: db.prisma, newsletters, clock, onChange: onNewslettersChanged });

    const bounces = createBounces({ pool: db.pool, clock, logger, messageIds, config, metrics, events, httpsGet: outside.httpsGet });
    const bounceLimiter = new FixedWindowRateLimiter({ limit: config.BOUNCE_WEBHOOK_LIMIT_PER_IP, windowSeconds: config.RATE_LIMIT_WINDOW_SECONDS, clock });

    const adminApi = { adminToken: config.ADMIN_TOKEN, apiTokens: accounts.apiTokens };
    const subscriberAdmin = createSubscriberAdmin({ pool: db.pool, erasedAddresses, mailRequests: subscriptions.mailRequests, clock, logger });
    const lists = new AuditedLists({ ...subscriberAdmin, newsletters, audit: accounts.audit });
    const desk = new EditionDesk({ ...digests, audit: accounts.audit, clock, wakeSender: () => digests.sender.wake() });
    const curator = new EditionCurator({ pool: db.pool, ...digests, audit: accounts.audit, clock });
    const statistics = new DashboardStatistics({ pool: db.pool, clock });
    if (config.RUN_JOBS) {
      shutdown.add('stop claiming', 'dashboard statistics', await startStatisticsJobs({ boss, statistics }));
      shutdown.add('stop claiming', 'console sessions purge', await startAccountJobs({ boss, sessions: accounts.sessions, logger }));
      const retention = new LedgerRetention({ pool: db.pool, clock, logger, keepDays: config.LEDGER_KEEP_DAYS });
      shutdown.add('stop claiming', 'ledger retention', await startRetentionJobs({ boss, retention, logger }));
      shutdown.add('stop claiming', 'webhook event retention', await outgoing.startRetention());
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
      rawBodyRouters: [bounceWebhooksRouter({ ...bounces, clock, limiter: bounceLimiter })],
      routers: [
        metricsRouter({ metrics, token: config.METRICS_TOKEN }),
        adminArticlesRouter({ articles, auth: adminApi }),
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
        adminDigestsRouter({ ...digests, desk, auth: adminApi, clock, publicUrl }),
        digestPagesRouter({ ...digests, pages }),
        adminNewslettersRouter({ ...newsletterAdmin, auth: adminApi }),
        newsletterPagesRouter({ ...newsletterAdmin, pages, confirmationTtlHours: config.CONFIRMATION_TTL_HOURS }),
        adminWebhooksRouter({ webhooks: outgoing.webhooks, auth: adminApi }),
        adminSubscribersRouter({ ...subscriberAdmin, lists, auth: adminApi, audit: accounts.audit, maxImportMb: config.LIST_IMPORT_MAX_MB }),
        adminSuppressionsRouter({ suppressions: subscriberAdmin.suppressions, auth: adminApi, audit: accounts.audit }),
        consoleRouter({
          ...accounts,
          articles,
          articleEdits: new AuditedArticles({ articles, audit: accounts.audit }),
          feeds,
          pages,
          publicUrl,
          loginLimits: createLoginRateLimits(config, clock),
          newsroom: { ...digests, ...newsletterAdmin, desk, curator, statistics, audit: accounts.audit, clock },
          subscribers: subscriberAdmin,
          lists: { lists, newsletters, maxImportMb: config.LIST_IMPORT_MAX_MB },
          webhooks: outgoing.webhooks,
        }),
      ],
    });
    attach(app);
    if (outboxDir && !outboxViewer) {
      logger.warn({ outboxDir, host: config.HOST }, 'outbox viewer not served: HOST is not a loopback address; emails are .eml files in outboxDir');
    }
    logger.info({ url, publicUrl, outboxDir, database: config.DATABASE_URL ? 'external' : 'embedded', mail: config.SMTP_URL ? 'smtp' : 'outbox' }, 'Bulletin is running');

    return {
      url,
      config: linkedConfig,
      stop: () => shutdown.run(),
    };
  } catch (err) {
    await shutdown.runQuietly().catch(() => {});
    throw err;
  }
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
  // Before any of the service's code runs (see pretenuring.ts).
  disablePretenuring();
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    console.error((err as Error).message);
    process.exit(1);
  }
  const logger = createLogger(config.LOG_LEVEL);
  const starting = startBulletin(config, logger).catch((err) => {
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
    // A signal during start-up stops the service once it is up (start-up cleans up after itself if it fails).
    starting.then((bulletin) => bulletin.stop()).then(
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
  // Before start-up, not after it: "Bulletin is running" is written before start-up returns, and a
  // signal arriving between that line and the handlers would kill the process with no shutdown.
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  await starting;
}

if (require.main === module) void main();
