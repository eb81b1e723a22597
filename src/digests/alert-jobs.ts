import { ensureQueue, type PgBoss } from '../jobs/job-queue';
import type { BreakingNews } from '../articles/article-service';
import type { Logger } from '../shared/logger';
import type { AlertComposer } from './alert-composer';

export const ALERT_QUEUE = 'alerts-compose';
export const ALERT_CATCH_UP_QUEUE = 'alerts-catch-up';

/**
 * How an alert survives a crash. The article is written first (through Prisma, as the articles
 * area always is), then a job naming it is put in the job queue. The job is not written in the
 * article's own transaction: pg-boss's insert cannot join a Prisma transaction without raw SQL
 * through Prisma, which this code base keeps out (README, "Reaching the database"). So a crash
 * between the two writes, a job queue that refused the job, or an article imported by a command
 * (which runs no job queue) would lose the alert; the catch-up finds those: every minute (a
 * pg-boss cron, one run across all instances) and at start, it makes the missing alerts of the
 * breaking articles written in the last hour (AlertComposer.catchUp). The unique edition key makes
 * the job, its retries and the catch-up harmless to one another.
 *
 * Someone waits for an alert: creating a job NOTIFYs the workers, so no polling delay.
 */
const ALERT_QUEUE_OPTIONS = { notify: true, retryLimit: 10, retryDelay: 2, retryBackoff: true, retryDelayMax: 60, expireInSeconds: 15 * 60 };
const ALERT_WORK_OPTIONS = { batchSize: 1, localConcurrency: 2, pollingIntervalSeconds: 2, notifyPollingIntervalSeconds: 2 } as const;
const CATCH_UP_CRON = '* * * * *';

export interface AlertJob {
  articleId: number;
}

/** The articles' BreakingNews: one job per announcement (its queue exists before the first send). */
export class AlertTrigger implements BreakingNews {
  private constructor(private readonly boss: PgBoss) {}

  /** Every instance may announce (RUN_JOBS or not), so every instance makes sure the queue exists. */
  static async open(boss: PgBoss): Promise<AlertTrigger> {
    await ensureQueue(boss, ALERT_QUEUE, ALERT_QUEUE_OPTIONS);
    return new AlertTrigger(boss);
  }

  async announce(articleId: number): Promise<void> {
    await this.boss.send(ALERT_QUEUE, { articleId } satisfies AlertJob);
  }
}

/** The alert workers, the catch-up's schedule, and one catch-up now; resolves to how they stop. */
export async function startAlertJobs(deps: { boss: PgBoss; composer: AlertComposer; logger: Logger }): Promise<() => Promise<void>> {
  const { boss, composer, logger } = deps;
  await ensureQueue(boss, ALERT_QUEUE, ALERT_QUEUE_OPTIONS);
  await ensureQueue(boss, ALERT_CATCH_UP_QUEUE, { retryLimit: 0, expireInSeconds: 10 * 60 });
  await boss.work<AlertJob>(ALERT_QUEUE, ALERT_WORK_OPTIONS, async ([job]) => {
    if (!job) return;
    const outcomes = await composer.composeFor(job.data.articleId);
    logger.info({ job: job.id, articleId: job.data.articleId, outcomes }, 'alert job done');
  });
  await boss.schedule(ALERT_CATCH_UP_QUEUE, CATCH_UP_CRON, null, { tz: 'UTC' });
  await boss.work(ALERT_CATCH_UP_QUEUE, async () => {
    await composer.catchUp();
  });
  // At start too: this instance may be the one that died between an article and its job.
  await composer.catchUp().catch((err) => logger.error({ err }, 'alert catch-up failed'));
  return async () => {
    await boss.offWork(ALERT_QUEUE, { wait: false }).catch(() => {});
    await boss.offWork(ALERT_CATCH_UP_QUEUE, { wait: false }).catch(() => {});
  };
}
