import type pg from 'pg';
import { daysBefore, type Clock } from '../shared/clock';
import type { Logger } from '../shared/logger';
import { EDITIONS_TO_SHED, MARK_SHED, SHED_SENT_BATCH } from './retention-queries';

/** Rows per DELETE: a statement of a few tens of milliseconds, so locks and WAL come in small pieces. */
export const SHED_BATCH_ROWS = 10_000;
/** Editions per run: a run that falls behind (the first one after an upgrade) catches up day by day. */
const EDITIONS_PER_RUN = 50;
/** Below every subscriber id, an erased reader's negated one included (deliveries.subscriber_id is int4). */
const BEFORE_ALL_SUBSCRIBERS = -2_147_483_648;

export interface ShedResult {
  editions: number;
  rows: number;
}

/**
 * Keeps the ledger from growing without bound: a year of daily editions at a million readers would
 * be 365 million rows. LEDGER_KEEP_DAYS after an edition finished, its 'sent' rows are deleted; its
 * failed and skipped rows stay (what an operator reads, and what "retry failed" puts back), and its
 * counts stay as they were (sent is its recipients minus the other states, digest-queries.ts).
 * What goes with the rows: a reader's data export no longer lists those deliveries, and a bounce
 * report quoting their Message-ID no longer finds its delivery (it still acts by address).
 */
export class LedgerRetention {
  constructor(
    private readonly deps: { pool: pg.Pool; clock: Clock; logger: Logger; keepDays: number; batchRows?: number },
  ) {}

  /** One pass; safe to rerun (an edition shed is not selected again until it completes again). */
  async shed(): Promise<ShedResult> {
    const result: ShedResult = { editions: 0, rows: 0 };
    if (this.deps.keepDays === 0) return result;
    const now = this.deps.clock.now();
    const cutoff = daysBefore(now, this.deps.keepDays);
    const { rows } = await this.deps.pool.query<{ id: number }>(EDITIONS_TO_SHED, [cutoff, EDITIONS_PER_RUN]);
    for (const { id } of rows) {
      const removed = await this.shedEdition(id, cutoff);
      const { rowCount } = await this.deps.pool.query(MARK_SHED, [id, this.deps.clock.now(), cutoff]);
      if (rowCount !== 1) continue;
      result.editions += 1;
      result.rows += removed;
      this.deps.logger.info({ digestId: id, rows: removed }, 'sent delivery rows of a finished edition removed (LEDGER_KEEP_DAYS)');
    }
    return result;
  }

  private async shedEdition(digestId: number, cutoff: Date): Promise<number> {
    const batchRows = this.deps.batchRows ?? SHED_BATCH_ROWS;
    let after = BEFORE_ALL_SUBSCRIBERS;
    let removed = 0;
    for (;;) {
      const { rows } = await this.deps.pool.query<{ subscriber_id: number }>(SHED_SENT_BATCH, [digestId, batchRows, after, cutoff]);
      removed += rows.length;
      if (rows.length < batchRows) return removed;
      after = rows.reduce((max, r) => Math.max(max, r.subscriber_id), after);
    }
  }
}
