import type pg from 'pg';
import type { MailRequestKind } from '../generated/prisma/client';
import { withTransaction } from '../db/transaction';
import type { PgBoss } from '../jobs/job-queue';
import type { Logger } from '../shared/logger';
import { QUEUES, type SubscriberJob, type SubscriptionEmailKind } from './subscription-jobs';
import { TAKE_MAIL_REQUESTS, takenMailRequestFromRow, type TakenMailRequest, type TakenMailRequestRow } from './subscriber-queries';

/** The kinds of mail request, as the schema names them, and the job each becomes. */
const KINDS: Record<MailRequestKind, SubscriptionEmailKind> = {
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
  private relayBatch(): Promise<number> {
    return withTransaction(this.deps.pool, async (tx) => {
      const { rows } = await tx.query<TakenMailRequestRow>(TAKE_MAIL_REQUESTS, [BATCH]);
      // pg-boss writes its jobs through this transaction's connection, so they commit with the delete.
      const db = { executeSql: (text: string, values?: unknown[]) => tx.query(text, values) };
      for (const [kind, jobs] of groupByKind(rows.map(takenMailRequestFromRow))) {
        await this.deps.boss.insert(QUEUES[kind], jobs, { db });
      }
      return rows.length;
    });
  }
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

function groupByKind(requests: TakenMailRequest[]): Map<SubscriptionEmailKind, { data: SubscriberJob }[]> {
  const byKind = new Map<SubscriptionEmailKind, { data: SubscriberJob }[]>();
  for (const request of requests) {
    const kind = KINDS[request.kind];
    if (!kind) throw new Error(`unknown mail request kind ${request.kind}`);
    const jobs = byKind.get(kind) ?? [];
    jobs.push({ data: { subscriberId: request.subscriberId } });
    byKind.set(kind, jobs);
  }
  return byKind;
}
