import type pg from 'pg';

/** What a statement needs: a pool, a pooled connection or a client inside a transaction. */
export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

/**
 * A statement that may run for minutes on a large list (an edition's fan-out, a list import):
 * exempt from DATABASE_QUERY_TIMEOUT_MS, which is meant for statements a reader waits on. Used in a
 * transaction that also lifts the server's limit (`SET LOCAL statement_timeout = 0`).
 * (`query_timeout` is pg's per-query client limit; its types do not declare it.)
 */
export function bulkStatement(text: string, values: unknown[] = []): pg.QueryConfig {
  return { text, values, query_timeout: 30 * 60_000 } as pg.QueryConfig;
}

/** Connections whose ROLLBACK or COMMIT failed: their state is unknown, the pool must not reuse them. */
const broken = new WeakSet<pg.ClientBase>();

/**
 * BEGIN, the work, COMMIT on a connection the caller already holds (the migration runner keeps one
 * connection for its advisory lock); on any failure ROLLBACK and rethrow the work's own error.
 */
export async function inTransaction<T>(client: pg.ClientBase, work: (tx: pg.ClientBase) => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  let result: T;
  try {
    result = await work(client);
  } catch (err) {
    await client.query('ROLLBACK').catch(() => broken.add(client));
    throw err;
  }
  try {
    await client.query('COMMIT');
  } catch (err) {
    broken.add(client);
    throw err;
  }
  return result;
}

/**
 * One transaction on a connection of the pool. A connection left in an unknown state (the server
 * went away mid-transaction) is released with the error, so the pool drops it instead of reusing it.
 */
export async function withTransaction<T>(pool: pg.Pool, work: (tx: pg.ClientBase) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    return await inTransaction(client, work);
  } finally {
    client.release(broken.has(client) ? new Error('connection left in an unknown state') : undefined);
  }
}
