import type { WebhookDeliveryStatus } from '../generated/prisma/enums';

/**
 * The outgoing webhooks' hand-written statements (README.md, "Reaching the database"): the
 * recording statement that runs inside other areas' transactions, and the relay's and workers'
 * claims and outcomes. Each says why it has its shape.
 */

/**
 * Records an event and fans it out to the active webhooks that take its type, in one statement of
 * the caller's transaction: nothing is written when no webhook listens (the table does not grow for
 * nobody), and with `once_key` set a second recording of the same thing does nothing (ON CONFLICT).
 * The webhooks table is a handful of rows, read whole. $1 type, $2 data, $3 occurred at,
 * $4 subscriber or null, $5 once key or null.
 */
export const RECORD_EVENT = `WITH hooks AS (
         SELECT id FROM webhooks WHERE active AND $1::text = ANY (events)
       ), event AS (
         INSERT INTO webhook_events (type, data, occurred_at, subscriber_id, once_key)
         SELECT $1::text, $2::jsonb, $3::timestamptz, $4::int, $5::text WHERE EXISTS (SELECT 1 FROM hooks)
         ON CONFLICT (once_key) DO NOTHING
         RETURNING id
       )
       INSERT INTO webhook_deliveries (event_id, webhook_id)
       SELECT event.id, hooks.id FROM event CROSS JOIN hooks`;

/**
 * The relay's claim: deliveries not yet in the job queue become `queued`, oldest first, in the
 * transaction that inserts their jobs. SKIP LOCKED lets every instance's relay share the table, and
 * a row is queued once. Walks the status index. $1 limit.
 */
export const TAKE_PENDING = `UPDATE webhook_deliveries d SET status = 'queued'
        WHERE d.status = 'pending' AND (d.event_id, d.webhook_id) IN (
              SELECT event_id, webhook_id FROM webhook_deliveries
               WHERE status = 'pending'
               ORDER BY created_at
               LIMIT $1
                 FOR UPDATE SKIP LOCKED)
       RETURNING d.event_id, d.webhook_id`;

/**
 * What one attempt needs: the delivery, its event and its webhook (absent when deleted meanwhile:
 * there is no foreign key, see schema.prisma). $1 event, $2 webhook.
 */
export const LOAD_DELIVERY = `SELECT d.status, d.attempts, e.id AS event_id, e.type, e.data, e.occurred_at,
              w.id AS webhook_id, w.url, w.secret, w.active
         FROM webhook_deliveries d
         JOIN webhook_events e ON e.id = d.event_id
         LEFT JOIN webhooks w ON w.id = d.webhook_id
        WHERE d.event_id = $1 AND d.webhook_id = $2`;

/**
 * One attempt's outcome, on the delivery and on its webhook's health, in one statement. Only a
 * `queued` row changes, so a job run twice (a worker that died after POSTing) cannot undo a
 * delivered or given-up outcome. $1 event, $2 webhook, $3 new status, $4 HTTP status or null,
 * $5 error or null, $6 next attempt or null, $7 now.
 */
export const RECORD_ATTEMPT = `WITH attempt AS (
         UPDATE webhook_deliveries
            SET status = $3::text::"WebhookDeliveryStatus", attempts = attempts + 1, last_status = $4::int, last_error = left($5::text, 1000),
                next_attempt_at = $6::timestamptz,
                delivered_at = CASE WHEN $3::text = 'delivered' THEN $7::timestamptz END
          WHERE event_id = $1 AND webhook_id = $2 AND status = 'queued'
          RETURNING webhook_id
       )
       UPDATE webhooks w
          SET last_success_at = CASE WHEN $3::text = 'delivered' THEN $7::timestamptz ELSE w.last_success_at END,
              last_failure_at = CASE WHEN $3::text = 'delivered' THEN w.last_failure_at ELSE $7::timestamptz END,
              last_error = CASE WHEN $3::text = 'delivered' THEN w.last_error ELSE left($5::text, 1000) END
         FROM attempt WHERE w.id = attempt.webhook_id
       RETURNING w.id`;

/** A delivery whose webhook was deleted while it was recorded: nothing to send it to. $1 event, $2 webhook. */
export const DROP_DELIVERY = `DELETE FROM webhook_deliveries WHERE event_id = $1 AND webhook_id = $2`;

/**
 * The retention sweep (WEBHOOK_EVENTS_KEEP_DAYS): events that happened before $1 and that no
 * delivery waits on (every one delivered or given up, or none left), oldest first on the
 * occurred_at index, $2 at a time; their deliveries go with them (ON DELETE CASCADE). SKIP LOCKED:
 * two instances' sweeps share the work. An event with a once key stays: one per edition, with no
 * reader's data, and deleting it would let a late recurrence of its cause (failures retried months
 * on) announce the edition again.
 */
export const PURGE_SETTLED_EVENTS = `DELETE FROM webhook_events WHERE id IN (
         SELECT e.id FROM webhook_events e
          WHERE e.occurred_at < $1 AND e.once_key IS NULL
            AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id AND d.status IN ('pending', 'queued'))
          ORDER BY e.occurred_at
          LIMIT $2
            FOR UPDATE SKIP LOCKED)`;

export interface LoadedDeliveryRow {
  status: WebhookDeliveryStatus;
  attempts: number;
  event_id: string;
  type: string;
  data: unknown;
  occurred_at: Date;
  webhook_id: number | null;
  url: string | null;
  secret: string | null;
  active: boolean | null;
}

export interface TakenDeliveryRow {
  event_id: string;
  webhook_id: number;
}
