import { ensureQueue, type PgBoss } from '../jobs/job-queue';
import type { DashboardStatistics } from './dashboard-statistics';

export const STATISTICS_QUEUE = 'console-statistics';
/** Every minute: the dashboard says when it counted ("counted at 14:05"). */
const STATISTICS_CRON = '* * * * *';

/**
 * The dashboard's counts, made again every minute by one instance (a pg-boss cron fires each slot
 * once across all instances); a run that outlives its minute is not retried, the next one counts.
 */
export async function startStatisticsJobs(deps: { boss: PgBoss; statistics: DashboardStatistics }): Promise<() => Promise<void>> {
  const { boss } = deps;
  await ensureQueue(boss, STATISTICS_QUEUE, { retryLimit: 0, expireInSeconds: 5 * 60 });
  await boss.schedule(STATISTICS_QUEUE, STATISTICS_CRON, null, { tz: 'UTC' });
  await boss.work(STATISTICS_QUEUE, async () => {
    await deps.statistics.refresh();
  });
  return async () => {
    await boss.offWork(STATISTICS_QUEUE, { wait: false }).catch(() => {});
  };
}
