import type pg from 'pg';
import { withTransaction } from '../db/transaction';
import type { PgBoss } from '../jobs/job-queue';
import type { Clock } from '../shared/clock';
import { retryDelaySeconds } from './retry-schedule';
import type { SecretBox } from './secret-box';
import { DROP_DELIVERY, LOAD_DELIVERY, RECORD_ATTEMPT, type LoadedDeliveryRow } from './webhook-queries';
import type { PostOutcome } from './webhook-poster';
import { signedHeaders } from './webhook-signing';

/** What a delivery job carries: keys only; the payload and the secret stay in the database. */
export interface WebhookJob {
  eventId: string;
  webhookId: number;
}

export type AttemptOutcome = 'delivered' | 'retry' | 'given_up' | 'dropped' | 'settled';

export interface WebhookSettings {
  /** WEBHOOK_RETRY_BASE_SECONDS: the first retry's wait; each later one doubles it (retry-schedule.ts). */
  retryBaseSeconds: number;
  /** The longest a receiver may take to answer. */
  timeoutMs: number;
  /** WEBHOOKS_ALLOW_PRIVATE. */
  allowPrivate: boolean;
}

/**
 * One attempt at one delivery: sign the event's body with the webhook's secret and the attempt's
 * time, POST it, and record what came of it. A 2xx is delivered; anything else is retried by a new
 * job at the schedule's next time, inserted in the transaction that records the failure, until the
 * attempts are spent (given up, kept and visible on the admin API).
 * At least once: a worker that dies between the POST and the record leaves its job to expire and
 * run again, and the receiver sees the same `webhook-id` twice.
 */
export class WebhookDeliverer {
  constructor(
    private readonly deps: {
      pool: pg.Pool;
      boss: PgBoss;
      secrets: SecretBox;
      clock: Clock;
      post: (url: string, body: string, headers: Record<string, string>, options: { timeoutMs: number; allowPrivate: boolean }) => Promise<PostOutcome>;
      settings: WebhookSettings;
      queue: string;
    },
  ) {}

  async attempt(job: WebhookJob): Promise<AttemptOutcome> {
    const { rows } = await this.deps.pool.query<LoadedDeliveryRow>(LOAD_DELIVERY, [job.eventId, job.webhookId]);
    const row = rows[0];
    if (!row || row.status !== 'queued') return 'settled';
    if (row.webhook_id === null || row.url === null || row.secret === null) {
      await this.deps.pool.query(DROP_DELIVERY, [job.eventId, job.webhookId]);
      return 'dropped';
    }
    const outcome: PostOutcome = row.active
      ? await this.post(row)
      : { error: 'the webhook was switched off' };
    return this.record(job, row.attempts + 1, outcome, row.active === true);
  }

  private post(row: LoadedDeliveryRow): Promise<PostOutcome> {
    // The body is built from stored values alone, so every attempt sends the same bytes.
    const body = JSON.stringify({ type: row.type, timestamp: row.occurred_at.toISOString(), data: row.data });
    const timestamp = Math.floor(this.deps.clock.now().getTime() / 1000);
    const headers = signedHeaders(this.deps.secrets.open(row.secret!), row.event_id, timestamp, body);
    const { timeoutMs, allowPrivate } = this.deps.settings;
    return this.deps.post(row.url!, body, headers, { timeoutMs, allowPrivate });
  }

  private record(job: WebhookJob, attempts: number, outcome: PostOutcome, retryable: boolean): Promise<AttemptOutcome> {
    const now = this.deps.clock.now();
    const delivered = outcome.error === undefined;
    const delay = delivered || !retryable ? undefined : retryDelaySeconds(attempts, this.deps.settings.retryBaseSeconds);
    const status = delivered ? 'delivered' : delay === undefined ? 'given_up' : 'queued';
    const nextAttemptAt = delay === undefined ? null : new Date(now.getTime() + delay * 1000);
    return withTransaction(this.deps.pool, async (tx) => {
      await tx.query(RECORD_ATTEMPT, [job.eventId, job.webhookId, status, outcome.status ?? null, outcome.error ?? null, nextAttemptAt, now]);
      if (status !== 'queued') return status;
      // The next attempt is a job of its own, committed with this record: never lost, never doubled.
      const db = { executeSql: (text: string, values?: unknown[]) => tx.query(text, values) };
      await this.deps.boss.insert(this.deps.queue, [{ data: job, startAfter: delay }], { db });
      return 'retry';
    });
  }
}
