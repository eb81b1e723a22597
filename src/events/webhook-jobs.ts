import { ensureQueue, DAILY_SWEEP, startCronJob, type JobResult, type PgBoss } from '../jobs/job-queue';
import type { Logger } from '../shared/logger';
import type { EventRetention } from './event-retention';
import type { WebhookDeliverer, WebhookJob } from './webhook-deliverer';

export type { WebhookJob } from './webhook-deliverer';

export const WEBHOOK_QUEUE = 'webhook-delivery';
export const EVENT_RETENTION_QUEUE = 'webhook-event-retention';
/** Daily at 03:47 UTC: away from the hour, when editions start, and from the ledger's retention (03:17). */
const EVENT_RETENTION_CRON = '47 3 * * *';

/**
 * The delivery's own retries are new jobs (webhook-deliverer.ts). pg-boss's retries only cover a
 * worker that died or a database error mid-attempt: an attempt takes at most the receiver's timeout
 * (10 s) and two statements, so a job still active after a minute is taken as dead and run again.
 */
const QUEUE_OPTIONS = { notify: true, retryLimit: 5, retryDelay: 30, retryBackoff: true, expireInSeconds: 60 };

/**
 * Attempts wait on receivers, so several run side by side; polling every second picks up retries
 * as they fall due (NOTIFY wakes the workers for new jobs).
 */
const WORK_OPTIONS = {
  batchSize: 10,
  burstWhenBatchFull: true,
  perJobResults: true,
  localConcurrency: 2,
  pollingIntervalSeconds: 1,
  notifyPollingIntervalSeconds: 1,
} as const;

/** The queue on every instance (any relay may insert); its workers only when `runJobs`. */
export async function registerWebhookJobs(deps: { boss: PgBoss; deliverer: WebhookDeliverer; logger: Logger; runJobs: boolean }): Promise<void> {
  const { boss, deliverer, logger } = deps;
  await ensureQueue(boss, WEBHOOK_QUEUE, QUEUE_OPTIONS);
  if (!deps.runJobs) return;
  await boss.work<WebhookJob>(WEBHOOK_QUEUE, WORK_OPTIONS, (jobs) =>
    Promise.all(
      jobs.map(async (job): Promise<JobResult> => {
        try {
          const outcome = await deliverer.attempt(job.data);
          logger.info({ job: job.id, ...job.data, outcome }, 'webhook delivery attempt');
          return { id: job.id, status: 'completed', output: { outcome } };
        } catch (err) {
          logger.warn({ job: job.id, ...job.data, err: (err as Error).message }, 'webhook delivery attempt failed, will retry');
          return { id: job.id, status: 'failed', output: { error: (err as Error).message } };
        }
      }),
    ),
  );
}

/** The daily retention sweep (WEBHOOK_EVENTS_KEEP_DAYS), by one instance; where jobs run. */
export function startEventRetentionJobs(deps: { boss: PgBoss; retention: Pick<EventRetention, 'purge'>; logger: Logger }): Promise<() => Promise<void>> {
  return startCronJob(deps.boss, {
    queue: EVENT_RETENTION_QUEUE,
    cron: EVENT_RETENTION_CRON,
    options: DAILY_SWEEP,
    async run() {
      const events = await deps.retention.purge();
      if (events) deps.logger.info({ events }, 'webhook events past WEBHOOK_EVENTS_KEEP_DAYS deleted');
    },
  });
}
