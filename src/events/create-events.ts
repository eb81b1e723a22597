import type pg from 'pg';
import type { Config } from '../config';
import type { AuditLog } from '../accounts/audit-log';
import type { PrismaClient } from '../generated/prisma/client';
import type { PgBoss } from '../jobs/job-queue';
import type { Clock } from '../shared/clock';
import type { Logger } from '../shared/logger';
import { EventRecorder } from './event-recorder';
import { eventRelay } from './event-relay';
import { EventRetention } from './event-retention';
import type { SecretBox } from './secret-box';
import { WebhookDeliverer } from './webhook-deliverer';
import { registerWebhookJobs, startEventRetentionJobs, WEBHOOK_QUEUE } from './webhook-jobs';
import { postWebhook } from './webhook-poster';
import { WebhookRegistry } from './webhook-registry';

/** How long a receiver has to answer one POST. */
const RECEIVER_TIMEOUT_MS = 10_000;

/** Builds the outgoing webhooks from real dependencies; called by main.ts, the wiring place. */
export function createEvents(deps: {
  prisma: PrismaClient;
  pool: pg.Pool;
  boss: PgBoss;
  secrets: SecretBox;
  audit: Pick<AuditLog, 'record'>;
  clock: Clock;
  logger: Logger;
  config: Pick<Config, 'WEBHOOKS_ALLOW_PRIVATE' | 'WEBHOOK_RETRY_BASE_SECONDS' | 'WEBHOOK_EVENTS_KEEP_DAYS' | 'RUN_JOBS'>;
}) {
  const { config } = deps;
  const deliverer = new WebhookDeliverer({
    pool: deps.pool,
    boss: deps.boss,
    secrets: deps.secrets,
    clock: deps.clock,
    post: postWebhook,
    queue: WEBHOOK_QUEUE,
    settings: { retryBaseSeconds: config.WEBHOOK_RETRY_BASE_SECONDS, timeoutMs: RECEIVER_TIMEOUT_MS, allowPrivate: config.WEBHOOKS_ALLOW_PRIVATE },
  });
  const retention = new EventRetention({ pool: deps.pool, clock: deps.clock, keepDays: config.WEBHOOK_EVENTS_KEEP_DAYS });
  return {
    events: new EventRecorder({ clock: deps.clock }),
    relay: eventRelay({ pool: deps.pool, boss: deps.boss, logger: deps.logger }),
    webhooks: new WebhookRegistry({ prisma: deps.prisma, secrets: deps.secrets, audit: deps.audit, allowPrivate: config.WEBHOOKS_ALLOW_PRIVATE }),
    registerJobs: () => registerWebhookJobs({ boss: deps.boss, deliverer, logger: deps.logger, runJobs: config.RUN_JOBS }),
    /** Only where jobs run (RUN_JOBS); returns what stops it at shutdown. */
    startRetention: () => startEventRetentionJobs({ boss: deps.boss, retention, logger: deps.logger }),
  };
}

export type Events = ReturnType<typeof createEvents>;
