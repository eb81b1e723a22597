import type pg from 'pg';
import type { MailRequestKind } from '../generated/prisma/client';
import type { PgBoss } from '../jobs/job-queue';
import { OutboxRelay } from '../jobs/outbox-relay';
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
export type MailRequestWake = Pick<OutboxRelay, 'wake'>;

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
export function mailRequestRelay(deps: { pool: pg.Pool; boss: PgBoss; logger: Logger }): OutboxRelay {
  return new OutboxRelay({
    pool: deps.pool,
    logger: deps.logger,
    settings: {
      name: 'mail request',
      batch: BATCH,
      pollMs: POLL_MS,
      minPassIntervalMs: MIN_PASS_INTERVAL_MS,
      // The requests are deleted as they are taken; their jobs commit with the delete.
      async moveBatch(tx, db, batch) {
        const { rows } = await tx.query<TakenMailRequestRow>(TAKE_MAIL_REQUESTS, [batch]);
        for (const [kind, jobs] of groupByKind(rows.map(takenMailRequestFromRow))) await deps.boss.insert(QUEUES[kind], jobs, { db });
        return rows.length;
      },
    },
  });
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
