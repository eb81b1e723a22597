import { ensureQueue, type PgBoss } from '../jobs/job-queue';
import type { Logger } from '../shared/logger';
import type { LedgerRetention } from './ledger-retention';

export const LEDGER_RETENTION_QUEUE = 'ledger-retention';
/** Daily at 03:17 UTC: away from the hour, when scheduled editions start. */
const RETENTION_CRON = '17 3 * * *';

/**
 * Ledger retention (LEDGER_KEEP_DAYS), run daily by one instance (a pg-boss cron fires each slot once
 * across all instances). A run that fails is tried again later; a rerun does nothing more than the
 * remaining work. With LEDGER_KEEP_DAYS=0 it runs and removes nothing.
 */
export async function startRetentionJobs(deps: { boss: PgBoss; retention: Pick<LedgerRetention, 'shed'>; logger: Logger }): Promise<() => Promise<void>> {
  const { boss } = deps;
  await ensureQueue(boss, LEDGER_RETENTION_QUEUE, { retryLimit: 2, retryDelay: 15 * 60, expireInSeconds: 60 * 60 });
  await boss.schedule(LEDGER_RETENTION_QUEUE, RETENTION_CRON, null, { tz: 'UTC' });
  await boss.work(LEDGER_RETENTION_QUEUE, async () => {
    const shed = await deps.retention.shed();
    if (shed.editions) deps.logger.info(shed, 'ledger retention: editions shed');
  });
  return async () => {
    await boss.offWork(LEDGER_RETENTION_QUEUE, { wait: false }).catch(() => {});
  };
}
