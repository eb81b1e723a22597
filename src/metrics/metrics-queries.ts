import type pg from 'pg';
import type { GaugeSources } from './prometheus-metrics';

/**
 * The metrics' SQL, read at every scrape (every 15-60 s, by every Prometheus, on every instance),
 * so each statement must stay cheap at a million deliveries.
 */

/**
 * Deliveries not settled yet, of the editions still sending, per newsletter. Never a count over the
 * whole ledger: `digests` is scanned for the editions with status 'sending' (a few rows per
 * newsletter and day; no index needed), and for each of them one count per state walks one range
 * of deliveries_digest_id_status_subscriber_id_idx. Each state is a literal, not a joined value:
 * with the state unknown at planning time, the planner judged a count of "any state of any edition"
 * and read the whole ledger (tests/integration/metrics.test.ts caught it). Finished editions cost
 * nothing however many rows they sent; a sending edition costs in proportion to what it has left
 * (docs/benchmarks.md, "Metrics scrape").
 */
export const LEDGER_PENDING = `SELECT n.slug AS newsletter,
              sum((SELECT count(*) FROM deliveries d WHERE d.digest_id = g.id AND d.status = 'pending'))::int AS pending,
              sum((SELECT count(*) FROM deliveries d WHERE d.digest_id = g.id AND d.status = 'sending'))::int AS sending
         FROM digests g
         JOIN newsletters n ON n.id = g.newsletter_id
        WHERE g.status = 'sending'
        GROUP BY n.slug`;

interface LedgerPendingRow {
  newsletter: string;
  pending: number;
  sending: number;
}

/** What the gauges read from pg-boss: its cached per-queue counts (one read of its `queue` table). */
export interface QueueCounts {
  getQueues(): Promise<Array<{ name: string; queuedCount: number; activeCount: number }>>;
}

/**
 * Right after a million-reader fan-out, LEDGER_PENDING counts a million index entries (0.3-0.5 s
 * on 2 cores, docs/benchmarks.md): so an instance counts at most once in this interval, and
 * scrapes in between get its last count. Stale by at most this much, like a gauge read from a row.
 */
export const LEDGER_RECOUNT_MS = 30_000;

export function databaseGaugeSources(deps: { pool: pg.Pool; boss: QueueCounts; now?: () => number }): GaugeSources {
  const now = deps.now ?? Date.now;
  let last: { at: number; rows: Promise<Awaited<ReturnType<GaugeSources['ledgerPending']>>> } | undefined;
  const count = async () =>
    (await deps.pool.query<LedgerPendingRow>(LEDGER_PENDING)).rows.flatMap((r) => [
      { newsletter: r.newsletter, status: 'pending', deliveries: r.pending },
      { newsletter: r.newsletter, status: 'sending', deliveries: r.sending },
    ]);
  return {
    queues: () => deps.boss.getQueues(),
    ledgerPending: () => {
      if (!last || now() - last.at >= LEDGER_RECOUNT_MS) {
        const rows = count();
        // A failed count is not kept: the next scrape tries again.
        rows.catch(() => (last = undefined));
        last = { at: now(), rows };
      }
      return last.rows;
    },
  };
}
