import { CronExpressionParser } from 'cron-parser';
import { ensureQueue, type PgBoss } from '../jobs/job-queue';
import type { Clock } from '../shared/clock';
import type { Logger } from '../shared/logger';
import { FREQUENCIES, type Frequency } from '../shared/frequency';
import type { EditionComposer } from './edition-composer';

export const DIGEST_QUEUES: Record<Frequency, string> = { daily: 'digest-daily', weekly: 'digest-weekly' };

/**
 * A scheduled job may run a little before the slot by this process's clock (pg-boss fires on the
 * database's clock): up to this much early still counts as that slot.
 */
const CLOCK_SKEW_MS = 30_000;

/**
 * Fires each edition once per slot across all instances (pg-boss cron, one job per slot; the digest
 * table's unique (frequency, edition_at) absorbs any repeat), and at start composes the most recent
 * slot of each schedule if the service was down when it came due.
 */
export class DigestScheduler {
  constructor(
    private readonly deps: {
      boss: PgBoss;
      composer: EditionComposer;
      crons: Record<Frequency, string>;
      timeZone: string;
      clock: Clock;
      logger: Logger;
    },
  ) {}

  async start(): Promise<void> {
    const { boss, crons, timeZone } = this.deps;
    for (const frequency of FREQUENCIES) {
      const queue = DIGEST_QUEUES[frequency];
      await ensureQueue(boss, queue, { retryLimit: 3, retryDelay: 60, retryBackoff: true });
      await boss.schedule(queue, crons[frequency], { frequency }, { tz: timeZone });
      await boss.work(queue, async () => {
        const slot = this.mostRecentSlot(frequency, new Date(this.deps.clock.now().getTime() + CLOCK_SKEW_MS));
        await this.composeSlot(frequency, slot, 'schedule');
      });
    }
    await this.catchUp();
  }

  /** Takes no more scheduled jobs; one running finishes with the job queue's graceful stop. */
  async stop(): Promise<void> {
    for (const queue of Object.values(DIGEST_QUEUES)) await this.deps.boss.offWork(queue, { wait: false }).catch(() => {});
  }

  /** Composes the latest past slot of each schedule unless it (or a later edition) exists. */
  async catchUp(): Promise<void> {
    const now = this.deps.clock.now();
    for (const frequency of FREQUENCIES) {
      await this.composeSlot(frequency, this.mostRecentSlot(frequency, now), 'catch-up').catch((err) =>
        this.deps.logger.error({ err, frequency }, 'digest catch-up failed'),
      );
    }
  }

  /** The latest slot of the frequency's cron at or before `at`, in the digest time zone. */
  mostRecentSlot(frequency: Frequency, at: Date): Date {
    // prev() is strictly before currentDate: one millisecond later makes a slot exactly at `at` count.
    const expression = CronExpressionParser.parse(this.deps.crons[frequency], {
      currentDate: new Date(at.getTime() + 1),
      tz: this.deps.timeZone,
    });
    return expression.prev().toDate();
  }

  private async composeSlot(frequency: Frequency, slot: Date, reason: string): Promise<void> {
    const result = await this.deps.composer.compose(frequency, slot);
    this.deps.logger.info({ frequency, slot, reason, outcome: result.outcome }, 'digest slot handled');
  }
}
