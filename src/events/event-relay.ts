import type pg from 'pg';
import { withTransaction } from '../db/transaction';
import type { PgBoss } from '../jobs/job-queue';
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
export class EventRelay {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;

  constructor(private readonly deps: { pool: pg.Pool; boss: PgBoss; logger: Logger }) {}

  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => this.wake(), POLL_MS);
    this.timer.unref();
    this.wake();
  }

  wake(): void {
    if (this.stopped || this.running) return;
    this.running = this.drain().finally(() => (this.running = undefined));
  }

  /** Relays what is left, then stops: after HTTP closed, before the job queue stops. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    while (this.running) await this.running;
    await this.drain();
  }

  private async drain(): Promise<void> {
    try {
      while ((await this.relayBatch()) === BATCH);
    } catch (err) {
      // The rows stay pending; the next poll tries again.
      this.deps.logger.warn({ err: (err as Error).message }, 'webhook event relay failed, will retry');
    }
  }

  private relayBatch(): Promise<number> {
    return withTransaction(this.deps.pool, async (tx) => {
      const { rows } = await tx.query<TakenDeliveryRow>(TAKE_PENDING, [BATCH]);
      if (!rows.length) return 0;
      // pg-boss writes its jobs through this transaction's connection, so they commit with the claim.
      const db = { executeSql: (text: string, values?: unknown[]) => tx.query(text, values) };
      const jobs = rows.map((r): { data: WebhookJob } => ({ data: { eventId: r.event_id, webhookId: r.webhook_id } }));
      await this.deps.boss.insert(WEBHOOK_QUEUE, jobs, { db });
      return rows.length;
    });
  }
}
