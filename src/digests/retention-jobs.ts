import { DAILY_SWEEP, startCronJob, type PgBoss } from '../jobs/job-queue';
import type { Logger } from '../shared/logger';
import type { LedgerRetention } from './ledger-retention';

export const LEDGER_RETENTION_QUEUE = 'ledger-retention';
/** Daily at 03:17 UTC: away from the hour, when scheduled editions start. */
const RETENTION_CRON = '17 3 * * *';

/**
 * Ledger retention (LEDGER_KEEP_DAYS), run daily by one instance. A run that fails is tried again
 * later; a rerun does nothing more than the remaining work. With LEDGER_KEEP_DAYS=0 it runs and
 * removes nothing.
 */
export function startRetentionJobs(deps: { boss: PgBoss; retention: Pick<LedgerRetention, 'shed'>; logger: Logger }): Promise<() => Promise<void>> {
  return startCronJob(deps.boss, {
    queue: LEDGER_RETENTION_QUEUE,
    cron: RETENTION_CRON,
    options: DAILY_SWEEP,
    async run() {
      const shed = await deps.retention.shed();
      if (shed.editions) deps.logger.info(shed, 'ledger retention: editions shed');
    },
  });
}
