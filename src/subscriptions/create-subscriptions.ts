import type pg from 'pg';
import type { Config } from '../config';
import type { PrismaClient } from '../generated/prisma/client';
import type { PgBoss } from '../jobs/job-queue';
import type { EventRecording } from '../events/event-recorder';
import type { Mailer } from '../mail/mailer';
import type { Templates } from '../mail/templates';
import type { Clock } from '../shared/clock';
import type { Logger } from '../shared/logger';
import { noMetrics, type SubscriptionMetrics } from '../metrics/metrics';
import type { SignedLinks } from '../shared/signed-links';
import { ConfirmationRequests } from './confirmation-requests';
import { NewsletterChoices, type NewsletterLookup } from './newsletter-choices';
import { SubscriptionRepository } from './subscription-repository';
import { ConfirmationService } from './confirmation-service';
import { PreferencesService } from './preferences-service';
import { PurgePendingSignups } from './purge-pending-signups';
import { SignupService } from './signup-service';
import { SubscriberRepository, type ErasedAddressRelease } from './subscriber-repository';
import { SubscriptionEmails } from './subscription-emails';
import { listNameFrom } from '../shared/list-name';
import { mailRequestRelay } from './mail-request-relay';
import { registerSubscriptionJobs } from './subscription-jobs';
import { UnsubscribeService } from './unsubscribe-service';

/** How long a "manage my subscription" link works. */
const MANAGE_LINK_TTL_MINUTES = 60;

/** The settings the subscription area reads; PUBLIC_URL resolved (the configured one or the listening address). */
export type SubscriptionConfig = Pick<
  Config,
  'MAIL_FROM' | 'CONFIRMATION_TTL_HOURS' | 'CONFIRMATION_RESEND_MINUTES' | 'PENDING_PURGE_DAYS' | 'RUN_JOBS'
> & { PUBLIC_URL: string };

/** Builds the subscription area from real dependencies; called by main.ts, the wiring place. */
export function createSubscriptions(deps: {
  prisma: PrismaClient;
  pool: pg.Pool;
  boss: PgBoss;
  mailer: Mailer;
  templates: Templates;
  links: SignedLinks;
  newsletters: NewsletterLookup;
  erasedAddresses: ErasedAddressRelease;
  /** Where subscriber events for outgoing webhooks are recorded (src/events). */
  events: EventRecording;
  clock: Clock;
  logger: Logger;
  config: SubscriptionConfig;
  /** Where signups, confirmations and unsubscribes are counted (none: counts nothing). */
  metrics?: SubscriptionMetrics;
}) {
  const { config, clock } = deps;
  const metrics = deps.metrics ?? noMetrics;
  const repository = new SubscriberRepository({ prisma: deps.prisma, pool: deps.pool, erasedAddresses: deps.erasedAddresses, events: deps.events });
  const subscriptions = new SubscriptionRepository({ prisma: deps.prisma, events: deps.events });
  const choices = new NewsletterChoices({ newsletters: deps.newsletters, pool: deps.pool, clock });
  const mailRequests = mailRequestRelay({ pool: deps.pool, boss: deps.boss, logger: deps.logger });
  const confirmations = new ConfirmationRequests({ repository, mailRequests, clock, resendMinutes: config.CONFIRMATION_RESEND_MINUTES });
  const listName = listNameFrom(config.MAIL_FROM);
  const emails = new SubscriptionEmails({
    repository,
    subscriptions,
    mailer: deps.mailer,
    templates: deps.templates,
    links: deps.links,
    clock,
    settings: {
      publicUrl: config.PUBLIC_URL,
      listName,
      confirmationTtlHours: config.CONFIRMATION_TTL_HOURS,
      manageTtlMinutes: MANAGE_LINK_TTL_MINUTES,
    },
  });
  const purge = new PurgePendingSignups({ repository, clock, pendingPurgeDays: config.PENDING_PURGE_DAYS });
  return {
    listName,
    mailRequests,
    choices,
    signup: new SignupService({ repository, confirmations, mailRequests, metrics }),
    confirmation: new ConfirmationService({ repository, confirmations, mailRequests, clock, metrics }),
    unsubscribe: new UnsubscribeService({ repository, subscriptions, newsletters: deps.newsletters, confirmations, clock, metrics }),
    preferences: new PreferencesService({ repository, subscriptions, choices, confirmations, mailRequests, clock, metrics }),
    purge,
    registerJobs: () =>
      registerSubscriptionJobs({ boss: deps.boss, emails, purge, logger: deps.logger, runJobs: config.RUN_JOBS }),
  };
}

export type Subscriptions = ReturnType<typeof createSubscriptions>;
