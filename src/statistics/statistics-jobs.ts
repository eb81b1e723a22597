import { startCronJob, type PgBoss } from '../jobs/job-queue';
import type { DashboardStatistics } from './dashboard-statistics';

export const STATISTICS_QUEUE = 'console-statistics';
/** Every minute: the dashboard says when it counted ("counted at 14:05"). */
const STATISTICS_CRON = '* * * * *';

/**
 * The dashboard's counts, made again every minute by one instance; a run that outlives its minute
 * is not retried, the next one counts.
 */
export function startStatisticsJobs(deps: { boss: PgBoss; statistics: DashboardStatistics }): Promise<() => Promise<void>> {
  return startCronJob(deps.boss, {
    queue: STATISTICS_QUEUE,
    cron: STATISTICS_CRON,
    options: { retryLimit: 0, expireInSeconds: 5 * 60 },
    async run() {
      await deps.statistics.refresh();
    },
  });
}
