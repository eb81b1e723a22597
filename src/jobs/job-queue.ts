import { PgBoss, type Queue } from 'pg-boss';
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

/** What a queue is made with; all of it can change later (policy and partitioning cannot, so are not offered). */
export type QueueOptions = Omit<Queue, 'name' | 'policy' | 'partition'>;

/**
 * Every queue is made through here. pg-boss's createQueue does nothing when the queue exists, so
 * options changed in the code would never reach a database made by an earlier version: an existing
 * queue whose stored options differ from these is updated. An option left out keeps its stored value.
 */
export async function ensureQueue(boss: PgBoss, name: string, options: QueueOptions): Promise<void> {
  const existing = await boss.getQueue(name);
  if (!existing) {
    // Another instance starting at the same moment may create it first: then this one does nothing
    // (ON CONFLICT DO NOTHING), and its options are compared on that instance's next start.
    await boss.createQueue(name, options);
    return;
  }
  const stored = existing as unknown as Record<string, unknown>;
  const changed = Object.entries(options).some(([key, value]) => value !== undefined && stored[key] !== value);
  if (changed) await boss.updateQueue(name, options);
}

/** A daily sweep's queue: a failed run is tried twice more, 15 minutes apart; one still running after an hour is taken as dead. */
export const DAILY_SWEEP: QueueOptions = { retryLimit: 2, retryDelay: 15 * 60, expireInSeconds: 60 * 60 };

/**
 * A job one instance runs at each slot of a UTC cron schedule (pg-boss fires each slot once across
 * all instances): its queue, its schedule and its worker. Returns what stops the worker at shutdown.
 */
export async function startCronJob(
  boss: PgBoss,
  job: { queue: string; cron: string; options: QueueOptions; run: () => Promise<void> },
): Promise<() => Promise<void>> {
  await ensureQueue(boss, job.queue, job.options);
  await boss.schedule(job.queue, job.cron, null, { tz: 'UTC' });
  await boss.work(job.queue, () => job.run());
  return async () => {
    await boss.offWork(job.queue, { wait: false }).catch(() => {});
  };
}
