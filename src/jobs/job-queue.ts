import { PgBoss } from 'pg-boss';
import type { Logger } from '../shared/logger';

export type { JobResult, PgBoss } from 'pg-boss';

/**
 * pg-boss keeps background jobs in the same PostgreSQL (its own schema), so jobs commit or fail with
 * the data they belong to, cron slots fire once across instances, and nothing else needs running.
 */
export async function startJobQueue(opts: {
  connectionString: string;
  logger: Logger;
  /** Whether this process runs cron schedules; every instance may, pg-boss fires each slot once. */
  schedule: boolean;
}): Promise<PgBoss> {
  const boss = new PgBoss({
    connectionString: opts.connectionString,
    schema: 'pgboss',
    // The email workers (4 per queue), the digest and feed jobs and the schedule share this pool;
    // with 4 connections, jobs waited for one another (the benchmark showed the app mostly idle).
    max: 10,
    schedule: opts.schedule,
    useListenNotify: true,
  });
  boss.on('error', (err: unknown) => opts.logger.error({ err }, 'job queue error'));
  boss.on('warning', (warning: unknown) => opts.logger.warn({ warning }, 'job queue warning'));
  await boss.start();
  return boss;
}
