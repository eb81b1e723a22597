import type pg from 'pg';
import type { Clock } from '../shared/clock';
import { AppError, validationError } from '../shared/errors';
import type { Logger } from '../shared/logger';
import { SUPPRESS, UNSUPPRESS } from './directory-queries';

/** As the column holds it (VARCHAR(200)). */
export const MAX_SUPPRESSION_REASON = 200;

/**
 * Suppression by hand: an operator leaves an address out of every send (a complaint by phone, a
 * mailbox that auto-replies abuse), with the reason kept on the subscriber, or lets it be sent to
 * again. The same column the bounces set (suppressed_at), so the ledger, the statistics and the
 * import treat both alike. The reason may name a person: it goes to the subscriber row only (and
 * the reader's data), never to the log.
 */
export class Suppressions {
  constructor(private readonly deps: { pool: pg.Pool; clock: Clock; logger: Logger }) {}

  async suppress(subscriberId: number, reason: unknown, actor: string): Promise<void> {
    const why = typeof reason === 'string' ? reason.trim().replace(/\s+/g, ' ') : '';
    if (!why) throw validationError({ reason: 'Say why, so the next person knows (e.g. "Complained by phone")' });
    if (why.length > MAX_SUPPRESSION_REASON) throw validationError({ reason: `Keep the reason to ${MAX_SUPPRESSION_REASON} characters` });
    await this.change(SUPPRESS, [subscriberId, why, this.deps.clock.now()]);
    this.deps.logger.info({ actor, subscriberId }, 'address suppressed by hand');
  }

  async unsuppress(subscriberId: number, actor: string): Promise<void> {
    await this.change(UNSUPPRESS, [subscriberId, this.deps.clock.now()]);
    this.deps.logger.info({ actor, subscriberId }, 'address unsuppressed');
  }

  private async change(statement: string, values: unknown[]): Promise<void> {
    const { rowCount } = await this.deps.pool.query(statement, values);
    if (!rowCount) throw new AppError('NOT_FOUND', 'No subscriber has that id');
  }
}
