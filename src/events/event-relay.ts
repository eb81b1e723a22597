import type pg from 'pg';
import type { PgBoss } from '../jobs/job-queue';
import { OutboxRelay } from '../jobs/outbox-relay';
import type { Logger } from '../shared/logger';
import { WEBHOOK_QUEUE, type WebhookJob } from './webhook-jobs';
import { TAKE_PENDING, type TakenDeliveryRow } from './webhook-queries';

/** Deliveries moved per transaction; a pass loops until none is left. */
const BATCH = 500;

/**
 * How often every instance looks for new deliveries. Recording happens inside other areas'
 * transactions (a bounce report, an edition's completion), which cannot wake a relay after their
 * commit, so the relay polls; the look is one probe of the status index, and the job it queues
 * NOTIFYs a worker, so a receiver hears of an event about a second after it happened.
 */
const POLL_MS = 1000;

/**
 * Moves recorded webhook deliveries into the job queue, like the mail-request relay
 * (src/subscriptions/mail-request-relay.ts): rows turn `queued` and their jobs are inserted in the
 * same commit, so a delivery is queued exactly once whichever instance or crash comes between.
 * Every instance runs one; SKIP LOCKED lets them share the table.
 */
export function eventRelay(deps: { pool: pg.Pool; boss: PgBoss; logger: Logger }): OutboxRelay {
  return new OutboxRelay({
    pool: deps.pool,
    logger: deps.logger,
    settings: {
      name: 'webhook event',
      batch: BATCH,
      pollMs: POLL_MS,
      // The deliveries turn `queued` as they are taken; their jobs commit with that.
      async moveBatch(tx, db, batch) {
        const { rows } = await tx.query<TakenDeliveryRow>(TAKE_PENDING, [batch]);
        if (!rows.length) return 0;
        const jobs = rows.map((r): { data: WebhookJob } => ({ data: { eventId: r.event_id, webhookId: r.webhook_id } }));
        await deps.boss.insert(WEBHOOK_QUEUE, jobs, { db });
        return rows.length;
      },
    },
  });
}
