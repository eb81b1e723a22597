import type pg from 'pg';
import type { Clock } from '../shared/clock';
import { AppError, validationError } from '../shared/errors';
import type { Logger } from '../shared/logger';
import { SUBSCRIBER_BY_ADDRESS, SUPPRESS, SUPPRESSED_PAGE, UNSUPPRESS, type SuppressedRow } from './directory-queries';

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

  /** A page of the suppression list (newest suppressed subscriber first), and where the next starts. */
  async list(after: number | undefined, limit: number) {
    const { rows } = await this.deps.pool.query<SuppressedRow>(SUPPRESSED_PAGE, [after ?? null, limit + 1]);
    const page = rows.slice(0, limit).map((r) => ({ id: r.id, email: r.email, suppressedAt: r.suppressed_at, reason: r.suppression_reason }));
    return { suppressions: page, next: rows.length > limit ? page[page.length - 1]!.id : null };
  }

  /** The subscriber with this address (trimmed, lower case, as a signup stores it), or NOT_FOUND. */
  async subscriberOf(email: string): Promise<number> {
    const { rows } = await this.deps.pool.query<{ id: number }>(SUBSCRIBER_BY_ADDRESS, [email.trim().toLowerCase()]);
    if (!rows[0]) throw new AppError('NOT_FOUND', 'No subscriber has this address');
    return rows[0].id;
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
