import type pg from 'pg';
import type { BenchDatabase } from './database';
import type { Child } from './processes';

/** What every part of the bench gets from run.ts. */
export interface BenchContext {
  db: BenchDatabase;
  /** A small pool of the bench itself (set-up, checks), never used by the code under test. */
  pool: pg.Pool;
  /** The Node SMTP sink (bench/smtp-sink.ts) in its own process. */
  sink: Child;
  sinkPort: number;
  runs: number;
  durationSeconds: number;
  subscribers: number;
  log: (msg: string) => void;
}

/** Empties what the parts write, so each part starts from the same state whatever ran before. */
export async function resetData(pool: pg.Pool): Promise<void> {
  await pool.query('TRUNCATE subscribers, articles, digests, deliveries, tokens, consents RESTART IDENTITY CASCADE');
  // Queued emails of earlier parts (the signup part queues one per signup and sends none).
  const { rows } = await pool.query<{ t: string | null }>(`SELECT to_regclass('pgboss.job')::text AS t`);
  if (rows[0]?.t) await pool.query(`DELETE FROM pgboss.job WHERE name LIKE 'subscription-%'`);
}
