import type pg from 'pg';
import type { PgBoss } from '../jobs/job-queue';
import type { Logger } from '../shared/logger';
import { QUEUES, type SubscriberJob, type SubscriptionEmailKind } from './subscription-jobs';

/** The kinds of mail request, as the migration names them, and the job each becomes. */
const KINDS: Record<string, SubscriptionEmailKind> = {
  confirmation: 'confirmation',
  welcome: 'welcome',
  manage_link: 'manageLink',
};

/** Rows moved per transaction; a drain loops until no request is left. */
const BATCH = 500;

/**
 * While requests keep arriving, a pass starts at most this often, so one commit relays the requests
 * of many signups rather than of a handful; a lone request still leaves at once.
 */
const MIN_PASS_INTERVAL_MS = 25;

/** The backstop behind wake(): rows left by an instance that stopped before relaying them. */
const POLL_MS = 2000;

/** What a service needs from the relay: a nudge after it wrote a mail request. */
export type MailRequestWake = Pick<MailRequestRelay, 'wake'>;

/**
 * Moves mail requests into the job queue (the transactional outbox pattern). A signup commits its
 * subscriber and its confirmation email request in one statement; this relay then turns requests
 * into pg-boss jobs, many per transaction: the rows are deleted and the jobs inserted in the same
 * commit, so an email is neither lost nor queued twice, whichever instance or crash comes between.
 *
 * Every instance runs one (it belongs to accepting signups, not to RUN_JOBS). The instance that
 * wrote a request wakes its own relay at once; SKIP LOCKED lets relays of several instances share
 * the table, and a poll picks up what an instance left behind.
 */
export class MailRequestRelay {
  private draining?: Promise<void>;
  private wakeAgain = false;
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly deps: { pool: pg.Pool; boss: PgBoss; logger: Logger }) {}

  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => this.wake(), POLL_MS);
    this.timer.unref();
    this.wake();
  }

  /** Relays the requests there are now; wakes arriving during a drain make it go round once more. */
  wake(): void {
    if (this.stopped) return;
    if (this.draining) {
      this.wakeAgain = true;
      return;
    }
    this.draining = this.drain().finally(() => (this.draining = undefined));
  }

  /** Relays what the last requests wrote, then stops: called after HTTP closed, before the queue. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    while (this.draining) await this.draining;
    await this.drain();
  }

  private async drain(): Promise<void> {
    try {
      do {
        this.wakeAgain = false;
        const started = Date.now();
        while ((await this.relayBatch()) === BATCH);
        if (this.wakeAgain) await sleep(started + MIN_PASS_INTERVAL_MS - Date.now());
      } while (this.wakeAgain && !this.stopped);
    } catch (err) {
      // The requests stay where they are; the next wake or poll tries again.
      this.deps.logger.warn({ err: (err as Error).message }, 'mail request relay failed, will retry');
    }
  }

  /** One transaction: take up to BATCH rows, queue their jobs, delete them. Returns how many. */
  private async relayBatch(): Promise<number> {
    const client = await this.deps.pool.connect();
    let failure: Error | undefined;
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{ kind: string; subscriber_id: number }>(
        `DELETE FROM mail_requests WHERE id IN (
           SELECT id FROM mail_requests ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
         ) RETURNING kind::text, subscriber_id`,
        [BATCH],
      );
      const db = { executeSql: (text: string, values?: unknown[]) => client.query(text, values) };
      for (const [kind, jobs] of groupByKind(rows)) await this.deps.boss.insert(QUEUES[kind], jobs, { db });
      await client.query('COMMIT');
      return rows.length;
    } catch (err) {
      failure = err as Error;
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      // A connection that failed mid-transaction may be broken: the pool replaces it.
      client.release(failure);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

function groupByKind(rows: { kind: string; subscriber_id: number }[]): Map<SubscriptionEmailKind, { data: SubscriberJob }[]> {
  const byKind = new Map<SubscriptionEmailKind, { data: SubscriberJob }[]>();
  for (const row of rows) {
    const kind = KINDS[row.kind];
    if (!kind) throw new Error(`unknown mail request kind ${row.kind}`);
    const jobs = byKind.get(kind) ?? [];
    jobs.push({ data: { subscriberId: row.subscriber_id } });
    byKind.set(kind, jobs);
  }
  return byKind;
}
