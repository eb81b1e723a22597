/**
 * What one edition costs the database, read from PostgreSQL's own counters around it: WAL written,
 * transactions committed, rows inserted and updated in the bench's database. They count everything
 * the Bulletin process does meanwhile (pg-boss's polling, heartbeats) and the bench's own few
 * reads, which is the load an operator's database sees. Numbers for docs/scaling.md.
 */
import type pg from 'pg';

export interface DatabaseLoad {
  walBytes: number;
  commits: number;
  rowsInserted: number;
  rowsUpdated: number;
}

interface Reading extends DatabaseLoad {}

async function read(pool: pg.Pool): Promise<Reading> {
  // Statistics are sent to the collector in batches; ask for a fresh snapshot.
  await pool.query('SELECT pg_stat_clear_snapshot()');
  const { rows } = await pool.query<{ wal: string; commits: string; inserted: string; updated: string }>(
    `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::text AS wal,
            xact_commit::text AS commits, tup_inserted::text AS inserted, tup_updated::text AS updated
       FROM pg_stat_database WHERE datname = current_database()`,
  );
  const r = rows[0]!;
  return { walBytes: Number(r.wal), commits: Number(r.commits), rowsInserted: Number(r.inserted), rowsUpdated: Number(r.updated) };
}

/** Starts counting; the returned function gives what was spent since. */
export async function countDatabaseLoad(pool: pg.Pool): Promise<() => Promise<DatabaseLoad>> {
  const before = await read(pool);
  return async () => {
    // The statistics collector lags up to 500 ms (PGSTAT_STAT_INTERVAL) behind the backends.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const after = await read(pool);
    return {
      walBytes: after.walBytes - before.walBytes,
      commits: after.commits - before.commits,
      rowsInserted: after.rowsInserted - before.rowsInserted,
      rowsUpdated: after.rowsUpdated - before.rowsUpdated,
    };
  };
}
