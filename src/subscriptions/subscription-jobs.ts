import { ensureQueue, type JobResult, type PgBoss } from '../jobs/job-queue';
import { failureKind } from '../mail/mailer';
import type { Logger } from '../shared/logger';
import type { PurgePendingSignups } from './purge-pending-signups';
import type { SubscriptionEmails } from './subscription-emails';

export const QUEUES = {
  confirmation: 'subscription-confirmation-email',
  welcome: 'subscription-welcome-email',
  manageLink: 'subscription-manage-email',
  purge: 'subscription-purge-pending',
} as const;

/**
 * A person waits for these emails, so creating a job NOTIFYs the workers (no polling delay), and an
 * SMTP outage is ridden out with exponential retries: 2 s, 4 s, 8 s ... capped at 15 minutes,
 * about five hours in all, before a job is given up.
 */
const MAIL_QUEUE_OPTIONS = {
  notify: true,
  retryLimit: 25,
  retryDelay: 2,
  retryBackoff: true,
  retryDelayMax: 900,
  expireInSeconds: 120,
};

/**
 * Polling is only the backstop behind NOTIFY, but it is also what picks up a retry when it falls due.
 * Each job waits mostly on SMTP and the database, so twenty run side by side (4 workers x 5 jobs).
 * A worker whose fetch came back full fetches again at once (burst): after a wave of signups, the
 * backlog drains at SMTP speed. One job per fetch would sleep the polling interval after every job
 * (2 s each: 1,000 queued confirmations took minutes to leave).
 */
const WORK_OPTIONS = {
  batchSize: 5,
  burstWhenBatchFull: true,
  perJobResults: true,
  localConcurrency: 4,
  pollingIntervalSeconds: 2,
  notifyPollingIntervalSeconds: 2,
} as const;

const PURGE_CRON = '23 3 * * *';

export type SubscriptionEmailKind = 'confirmation' | 'welcome' | 'manageLink';

/**
 * A job carries the subscriber id and nothing else: the job creates any token itself, so no secret
 * sits in a job row. Jobs come from mail requests (mail-request-relay.ts).
 */
export interface SubscriberJob {
  subscriberId: number;
}

/** Creates the queues (every instance: any may enqueue); workers and the schedule only when `runJobs`. */
export async function registerSubscriptionJobs(deps: {
  boss: PgBoss;
  emails: SubscriptionEmails;
  purge: PurgePendingSignups;
  logger: Logger;
  runJobs: boolean;
}): Promise<void> {
  const { boss, emails, logger } = deps;
  for (const name of [QUEUES.confirmation, QUEUES.welcome, QUEUES.manageLink]) {
    await ensureQueue(boss, name, MAIL_QUEUE_OPTIONS);
  }
  await ensureQueue(boss, QUEUES.purge, { retryLimit: 3, retryDelay: 60 });
  if (!deps.runJobs) return;

  const mailWorker = (kind: SubscriptionEmailKind) =>
    boss.work<SubscriberJob>(QUEUES[kind], WORK_OPTIONS, (jobs) =>
      Promise.all(jobs.map(async (job): Promise<JobResult> => {
        try {
          const outcome = await emails[kind](job.data.subscriberId);
          logger.info({ job: job.id, kind, subscriberId: job.data.subscriberId, outcome }, 'subscription email job done');
          return { id: job.id, status: 'completed' };
        } catch (err) {
          const message = (err as Error).message;
          // The receiving side refused for good (5xx): retrying would only repeat the refusal.
          if (failureKind(err) === 'permanent') {
            logger.warn({ job: job.id, kind, err: message }, 'subscription email refused permanently');
            return { id: job.id, status: 'completed', output: { refused: message } };
          }
          // Only this job is retried; the others of its batch keep their own outcome.
          logger.warn({ job: job.id, kind, err: message }, 'subscription email failed, will retry');
          return { id: job.id, status: 'failed', output: { error: message } };
        }
      })),
    );
  await mailWorker('confirmation');
  await mailWorker('welcome');
  await mailWorker('manageLink');

  await boss.work(QUEUES.purge, async () => {
    const result = await deps.purge.run();
    logger.info(result, 'pending signups purged');
  });
  await boss.schedule(QUEUES.purge, PURGE_CRON);
}
