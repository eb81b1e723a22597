import { startCronJob, type PgBoss } from '../jobs/job-queue';
import type { Logger } from '../shared/logger';
import type { Sessions } from './sessions';

export const ACCOUNTS_PURGE_QUEUE = 'console-sessions-purge';
/** Hourly, at minute 17 (away from the top of the hour, when digests are often scheduled). */
const PURGE_CRON = '17 * * * *';

/** The hourly sweep of ended console sessions and dead set-password links, by one instance. */
export function startAccountJobs(deps: { boss: PgBoss; sessions: Pick<Sessions, 'purgeEnded'>; logger: Logger }): Promise<() => Promise<void>> {
  return startCronJob(deps.boss, {
    queue: ACCOUNTS_PURGE_QUEUE,
    cron: PURGE_CRON,
    options: { retryLimit: 2, retryDelay: 60, expireInSeconds: 5 * 60 },
    async run() {
      const purged = await deps.sessions.purgeEnded();
      if (purged.sessions || purged.links) deps.logger.info(purged, 'ended console sessions purged');
    },
  });
}
