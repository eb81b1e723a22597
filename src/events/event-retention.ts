import type pg from 'pg';
import { daysBefore, type Clock } from '../shared/clock';
import { PURGE_SETTLED_EVENTS } from './webhook-queries';

/** Events per DELETE, with their deliveries: a short statement, so locks and WAL come in small pieces. */
const PURGE_BATCH = 5_000;

/**
 * Keeps outgoing webhook events from piling up for ever: WEBHOOK_EVENTS_KEEP_DAYS after an event
 * happened, once none of its deliveries waits for an attempt (the default retries end within a
 * day), it is deleted with its deliveries. A reader's events hold their address, so this is also
 * how long that copy is kept (an erasure deletes it at once). What goes with them: their lines in
 * a webhook's recent deliveries.
 */
export class EventRetention {
  constructor(private readonly deps: { pool: pg.Pool; clock: Clock; keepDays: number; batch?: number }) {}

  /** One pass, oldest first; returns the events deleted. Safe to rerun, and to run on two instances at once. */
  async purge(): Promise<number> {
    if (this.deps.keepDays === 0) return 0;
    const cutoff = daysBefore(this.deps.clock.now(), this.deps.keepDays);
    const batch = this.deps.batch ?? PURGE_BATCH;
    let deleted = 0;
    for (;;) {
      const { rowCount } = await this.deps.pool.query(PURGE_SETTLED_EVENTS, [cutoff, batch]);
      deleted += rowCount ?? 0;
      if ((rowCount ?? 0) < batch) return deleted;
    }
  }
}
