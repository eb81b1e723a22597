import type pg from 'pg';
import type { Config } from '../config';
import type { Mailer } from '../mail/mailer';
import type { Templates } from '../mail/templates';
import type { PgBoss } from '../jobs/job-queue';
import type { WaitingClock } from '../shared/clock';
import type { Logger } from '../shared/logger';
import type { SignedLinks } from '../shared/signed-links';
import { listNameFrom } from '../shared/list-name';
import type { DeliveryMetrics } from '../metrics/metrics';
import { DeliveryLedger } from './delivery-ledger';
import type { DeliveryMessageIds } from './delivery-message-ids';
import { DigestRenderer } from './digest-renderer';
import { DigestRepository } from './digest-repository';
import { EditionComposer } from './edition-composer';
import { DigestSender, type DigestSenderOptions } from './digest-sender';
import { SenderRegistry } from './sender-registry';
import { NewsletterSchedules } from './newsletter-schedules';
import { applyLegacyDigestSettings } from './legacy-digest-settings';
import type { NewsletterRepository } from '../newsletters/newsletter-repository';
import { startDigestJobs, type DigestJobsStop } from './digest-jobs';
import { AlertComposer } from './alert-composer';
import { AlertRenderer } from './alert-renderer';
import { CurationRepository } from './curation-repository';
import { NextEditionReader } from './next-edition';
import type { EventRecording } from '../events/event-recorder';

/** The settings the digests read. */
/**
 * A sender beats every 2 s; one whose beat is 8 s old is taken for dead (its claims resume within
 * 10 s, an idle sender's poll included); it stops starting sends itself after 5 s without a beat,
 * leaving 3 s for a send under way to end before anyone else may take its row.
 */
const SENDER_BEAT = { heartbeatMs: 2000, staleSeconds: 8, fenceSeconds: 5 } as const;

export type DigestConfig = Pick<
  Config,
  | 'MAIL_FROM'
  | 'LIST_ID'
  | 'UNSUBSCRIBE_MAILTO'
  | 'MAIL_REPLY_TO'
  | 'FEEDBACK_ID_SENDER'
  | 'DIGEST_TIMEZONE'
  | 'DIGEST_DAILY_CRON'
  | 'DIGEST_WEEKLY_CRON'
  | 'DIGEST_MAX_ARTICLES'
  | 'SEND_CONCURRENCY'
  | 'SEND_BATCH_SIZE'
  | 'SEND_LEASE_SECONDS'
  | 'SEND_MAX_ATTEMPTS'
  | 'SEND_RETRY_DELAY_SECONDS'
  | 'HARD_BOUNCE_LIMIT'
  | 'SMTP_RATE_PER_HOUR'
  | 'MAIL_BOUNCE_VERP'
> & { PUBLIC_URL: string };

export interface DigestDeps {
  pool: pg.Pool;
  mailer: Mailer;
  templates: Templates;
  links: SignedLinks;
  /** The Message-IDs of deliveries (wiring.ts `deliveryMessageIds`). */
  messageIds: DeliveryMessageIds;
  clock: WaitingClock;
  logger: Logger;
  newsletters: NewsletterRepository;
  /** Where `edition.sent` is recorded (src/events); by default straight into the database. */
  events?: EventRecording;
  /** PUBLIC_URL resolved: the configured one or the address the server listens on. */
  config: DigestConfig;
  /** Where the sender counts deliveries and bounces (none: counts nothing, as in the commands). */
  metrics?: DeliveryMetrics;
  /** Overrides of the sender's timings (tests and helper scripts). */
  senderOptions?: Partial<DigestSenderOptions>;
  /** false: no beat, claims wait for their lease as before issue 14.4 (the recovery benchmark's baseline). */
  senderBeat?: boolean;
}

/** Builds the digest classes from their dependencies; main.ts and the CLI wire them the same way. */
export function createDigests(deps: DigestDeps) {
  const { config } = deps;
  const listName = listNameFrom(config.MAIL_FROM);
  const repository = new DigestRepository({ pool: deps.pool });
  const ledger = new DeliveryLedger({ pool: deps.pool, clock: deps.clock, events: deps.events });
  const curations = new CurationRepository();
  const nextEdition = new NextEditionReader({ pool: deps.pool, repository, curations });
  const renderer = new DigestRenderer({
    templates: deps.templates,
    publicUrl: config.PUBLIC_URL,
    listName,
  });
  const sender = new DigestSender({
    ledger,
    repository,
    mailer: deps.mailer,
    links: deps.links,
    messageIds: deps.messageIds,
    mime: {
      from: config.MAIL_FROM,
      listId: config.LIST_ID,
      unsubscribeMailto: config.UNSUBSCRIBE_MAILTO,
      replyTo: config.MAIL_REPLY_TO,
      feedbackSenderId: config.FEEDBACK_ID_SENDER,
    },
    metrics: deps.metrics,
    logger: deps.logger,
    clock: deps.clock,
    registry: deps.senderBeat === false ? undefined : new SenderRegistry({ pool: deps.pool, logger: deps.logger, ...SENDER_BEAT }),
    options: {
      concurrency: config.SEND_CONCURRENCY,
      batchSize: config.SEND_BATCH_SIZE,
      leaseSeconds: config.SEND_LEASE_SECONDS,
      maxAttempts: config.SEND_MAX_ATTEMPTS,
      hardBounceLimit: config.HARD_BOUNCE_LIMIT,
      ratePerHour: config.SMTP_RATE_PER_HOUR,
      retryDelaySeconds: config.SEND_RETRY_DELAY_SECONDS,
      verp: config.MAIL_BOUNCE_VERP,
      ...deps.senderOptions,
    },
  });
  const composer = new EditionComposer({
    pool: deps.pool,
    repository,
    curations,
    nextEdition,
    ledger,
    renderer,
    publicUrl: config.PUBLIC_URL,
    logger: deps.logger,
    onComposed: () => sender.wake(),
  });
  let schedules: NewsletterSchedules | undefined;
  /** The newsletters' schedules on this job queue (one per process; `sync()` after any change). */
  const schedulesOn = (boss: PgBoss): NewsletterSchedules =>
    (schedules ??= new NewsletterSchedules({ boss, composer, newsletters: deps.newsletters, clock: deps.clock, logger: deps.logger }));
  const alerts = new AlertComposer({
    pool: deps.pool,
    repository,
    ledger,
    newsletters: deps.newsletters,
    renderer: new AlertRenderer({ templates: deps.templates, publicUrl: config.PUBLIC_URL, listName }),
    clock: deps.clock,
    logger: deps.logger,
    onComposed: () => sender.wake(),
  });
  return {
    repository,
    ledger,
    curations,
    nextEdition,
    composer,
    alerts,
    sender,
    newsletters: deps.newsletters,
    schedulesOn,
    /** DIGEST_DAILY_CRON and friends, when set, onto the newsletters `daily` and `weekly` (at start). */
    applyLegacySettings: () => applyLegacyDigestSettings(deps.pool, config, deps.logger),
    /** Schedules, catch-up and the sending loop; resolves to how they stop. */
    startJobs(boss: PgBoss): Promise<DigestJobsStop> {
      return startDigestJobs({ scheduler: schedulesOn(boss), sender });
    },
  };
}

export type Digests = ReturnType<typeof createDigests>;
