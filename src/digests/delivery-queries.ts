import type { DeliveryStatus } from '../generated/prisma/enums';

/**
 * The delivery ledger's SQL (table `deliveries`), one named statement each; the ledger
 * (delivery-ledger.ts) runs them. Each comment says why the statement has its shape.
 */

/**
 * Whether the claimed row still goes out: the subscriber confirmed, not suppressed, and still
 * subscribed to the edition's newsletter. The subscription is a scalar subquery with LIMIT, not
 * EXISTS: the planner turns an EXISTS in a CASE into a hashed subplan that reads every
 * subscription; this form is one index-only probe per claimed row (checked with EXPLAIN ANALYZE).
 */
const WANTED = `(s.status = 'confirmed' AND s.suppressed_at IS NULL
                   AND (SELECT true FROM subscriptions sub
                         WHERE sub.subscriber_id = d.subscriber_id AND sub.newsletter_id = g.newsletter_id LIMIT 1))`;

/**
 * Shape shared by both claims. For each digest being sent, a LATERAL subquery walks the
 * deliveries_digest_id_status_subscriber_id_idx index (digest_id, status, subscriber_id) in
 * subscriber order and stops after `limit` rows, so a claim costs the same at the first row of a
 * 100,000-recipient edition as at the last (sent rows are never visited): paging by id, never by
 * offset. FOR UPDATE SKIP LOCKED lets concurrent senders (other workers, other instances) take
 * disjoint rows without waiting on one another; the CTE is MATERIALIZED so the LIMIT applies once.
 *
 * The UPDATE joins subscribers, so whoever unsubscribed or got suppressed after the digest was
 * composed, or left the edition's newsletter (their subscription row is gone), is turned into
 * 'skipped' here, in the same statement, and never reaches the mailer. The newsletter comes with
 * the digest row the claim already reads; the subscription is one probe of its primary key
 * (subscriber_id, newsletter_id), answered from the index alone.
 * The lease is set on the database's clock (see above), and the row names its sender (claimed_by,
 * null for a sender without a registry), whose beat lets others take it over early if it dies.
 * $1 limit, $2 lease seconds; `senderParam` the sender's id.
 */
function claimStatement(status: DeliveryStatus, condition: string, senderParam: string, after = '0'): string {
  return `WITH claimable AS MATERIALIZED (
         SELECT c.digest_id, c.subscriber_id
           FROM digests g
          CROSS JOIN LATERAL (
                SELECT d.digest_id, d.subscriber_id
                  FROM deliveries d
                 WHERE d.digest_id = g.id AND d.status = '${status}' AND ${condition} AND d.subscriber_id > ${after}
                 ORDER BY d.subscriber_id
                 LIMIT $1
                   FOR UPDATE OF d SKIP LOCKED
               ) c
          WHERE g.status = 'sending'
          ORDER BY c.digest_id, c.subscriber_id
          LIMIT $1
       )
       UPDATE deliveries d
          SET status = CASE WHEN ${WANTED} THEN 'sending'::"DeliveryStatus" ELSE 'skipped'::"DeliveryStatus" END,
              lease_until = now() + make_interval(secs => $2),
              claimed_by = ${senderParam}::int,
              attempts = d.attempts + CASE WHEN ${WANTED} THEN 1 ELSE 0 END
         FROM subscribers s, digests g
        WHERE s.id = d.subscriber_id AND g.id = d.digest_id
          AND (d.digest_id, d.subscriber_id) IN (SELECT digest_id, subscriber_id FROM claimable)
       RETURNING d.digest_id, d.subscriber_id, s.email, d.attempts, d.status`;
}

/** The ledger's statements, named. */
export const LEDGER_SQL = {
  /**
   * Freezes the recipients of an edition: one INSERT ... SELECT inside the edition's own
   * transaction, so the list exists exactly when the edition does and is never loaded into this
   * process. The newsletter's subscriptions are walked by their (newsletter_id, subscriber_id)
   * index, each subscriber by its primary key. $1 digest, $2 newsletter.
   */
  recordRecipients: `INSERT INTO deliveries (digest_id, subscriber_id)
         SELECT $1, s.id FROM subscriptions sub JOIN subscribers s ON s.id = sub.subscriber_id
          WHERE sub.newsletter_id = $2 AND s.status = 'confirmed' AND s.suppressed_at IS NULL`,

  /**
   * How many rows the fan-out wrote, kept on the digest: its progress then counts only the rows
   * not sent (few, once it is under way) and takes the sent ones as the rest, instead of counting
   * a million sent rows per look. $1 digest, $2 rows written.
   */
  keepRecipients: `UPDATE digests SET recipients = $2 WHERE id = $1`,

  /**
   * Rows whose sender died: its beat in `senders` is older than $4 seconds or its row is gone
   * (see sender-registry.ts), or, the backstop, the row's lease ran out; both on the database's
   * clock. A row with no claimed_by (claimed by a sender without a registry, or before it existed)
   * waits for its lease, so no live sender's row is taken early. Only 'sending' rows are visited
   * (a few per sender), each probing senders by primary key. $3 this sender (never its own rows).
   */
  claimExpired: claimStatement(
    'sending',
    `(d.lease_until < now()
       OR (d.claimed_by IS NOT NULL AND d.claimed_by IS DISTINCT FROM $3::int
           AND NOT EXISTS (SELECT 1 FROM senders x WHERE x.id = d.claimed_by AND x.heartbeat_at > now() - make_interval(secs => $4::int))))`,
    '$3',
  ),

  /** Pending rows that are due by the injected clock ($3), which also wrote next_attempt_at. $4 this sender. */
  claimDue: claimStatement(
    'pending',
    `(d.next_attempt_at IS NULL OR d.next_attempt_at <= $3::timestamptz)`,
    '$4',
    `coalesce((SELECT c.after FROM unnest($5::int[], $6::int[]) AS c(digest_id, after) WHERE c.digest_id = g.id), 0)`,
  ),

  /**
   * Keeps claims alive while they wait their turn (slow sends, rate limits): one statement for all
   * held keys (unnest of two arrays), and only rows still 'sending', so a row another sender took
   * over is left alone. $1 digests, $2 subscribers, $3 lease seconds.
   */
  renewLeases: `UPDATE deliveries d SET lease_until = now() + make_interval(secs => $3)
         FROM unnest($1::int[], $2::int[]) AS k(digest_id, subscriber_id)
        WHERE d.digest_id = k.digest_id AND d.subscriber_id = k.subscriber_id AND d.status = 'sending'`,

  /**
   * Many accepted messages per statement (the sender groups them while one write is in flight);
   * the same statement ends a run of hard bounces for those addresses, touching only subscribers
   * that had one (most rows need no write). $1 digests, $2 subscribers, $3 message ids, $4 now.
   */
  markSent: `WITH done AS (
         UPDATE deliveries d
            SET status = 'sent', sent_at = $4::timestamptz, message_id = k.message_id, lease_until = NULL, last_error = NULL
           FROM unnest($1::int[], $2::int[], $3::text[]) AS k(digest_id, subscriber_id, message_id)
          WHERE d.digest_id = k.digest_id AND d.subscriber_id = k.subscriber_id
          RETURNING d.subscriber_id
       )
       UPDATE subscribers SET hard_bounces = 0
        WHERE id IN (SELECT subscriber_id FROM done) AND hard_bounces > 0`,

  /**
   * A 4xx answer: back to pending with a retry time, or failed once the attempts (counted at claim)
   * are spent, in one statement. $1 digest, $2 subscriber, $3 error, $4 max attempts, $5 delay
   * seconds, $6 now.
   */
  markTransientFailure: `UPDATE deliveries
          SET status = CASE WHEN attempts >= $4 THEN 'failed'::"DeliveryStatus" ELSE 'pending'::"DeliveryStatus" END,
              next_attempt_at = $6::timestamptz + make_interval(secs => $5),
              lease_until = NULL, last_error = left($3, 1000)
        WHERE digest_id = $1 AND subscriber_id = $2`,

  /**
   * A 5xx answer: final for this delivery, and one more hard bounce in a row for the address, which
   * is suppressed (first time only: coalesce) when the run reaches the limit. One statement, so the
   * count and the delivery's state never disagree. $1 digest, $2 subscriber, $3 error, $4 hard
   * bounce limit, $5 now.
   */
  markPermanentFailure: `WITH failed AS (
         UPDATE deliveries SET status = 'failed', lease_until = NULL, last_error = left($3, 1000)
          WHERE digest_id = $1 AND subscriber_id = $2
          RETURNING subscriber_id
       )
       UPDATE subscribers
          SET hard_bounces = hard_bounces + 1,
              suppressed_at = CASE WHEN hard_bounces + 1 >= $4 THEN coalesce(suppressed_at, $5::timestamptz) ELSE suppressed_at END
        WHERE id IN (SELECT subscriber_id FROM failed)`,

  /**
   * Claims given back unsent: pending again, the attempt taken at claim time is undone, and only
   * rows still 'sending' (one whose lease lapsed and another sender took is not ours to give).
   * $1 digests, $2 subscribers, $3 error or null (keeps the previous one).
   */
  release: `UPDATE deliveries d
          SET status = 'pending', lease_until = NULL, attempts = greatest(d.attempts - 1, 0),
              last_error = coalesce(left($3, 1000), d.last_error)
         FROM unnest($1::int[], $2::int[]) AS k(digest_id, subscriber_id)
        WHERE d.digest_id = k.digest_id AND d.subscriber_id = k.subscriber_id AND d.status = 'sending'`,

  /** One pass over a digest's rows (its index prefix) counting every state. $1 digest, $2 now. */
  progress: `SELECT count(*) FILTER (WHERE status = 'sending' OR (status = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= $2::timestamptz)))::int AS due,
              count(*) FILTER (WHERE status = 'pending' AND next_attempt_at > $2::timestamptz)::int AS later,
              count(*) FILTER (WHERE status = 'sent')::int AS sent,
              count(*) FILTER (WHERE status = 'failed')::int AS failed,
              count(*) FILTER (WHERE status = 'skipped')::int AS skipped
         FROM deliveries WHERE digest_id = $1`,

  /**
   * Digests with nothing pending or in flight are done. NOT EXISTS probes the (digest_id, status)
   * index prefix once per sending digest, so it stays cheap however many rows were sent. Only a row
   * still 'sending' changes, so of two senders completing at once one gets the row back, and its
   * `edition.sent` is recorded once. $1 now.
   */
  completeFinishedDigests: `UPDATE digests g SET status = 'done', completed_at = $1::timestamptz
        WHERE g.status = 'sending'
          AND NOT EXISTS (SELECT 1 FROM deliveries d
                           WHERE d.digest_id = g.id AND d.status IN ('pending', 'sending'))
       RETURNING g.id`,

  /**
   * What `edition.sent` tells receivers of an edition just completed: its newsletter, times and
   * outcome. Failed and skipped are two probes of the (digest_id, status) index; sent is the rest
   * of the recipients kept at composition. $1 digests.
   */
  completedEditions: `SELECT g.id, n.slug, n.kind, g.subject, g.edition_at, g.completed_at, coalesce(g.recipients, 0) AS recipients,
              (SELECT count(*) FROM deliveries d WHERE d.digest_id = g.id AND d.status = 'failed')::int AS failed,
              (SELECT count(*) FROM deliveries d WHERE d.digest_id = g.id AND d.status = 'skipped')::int AS skipped
         FROM digests g JOIN newsletters n ON n.id = g.newsletter_id
        WHERE g.id = ANY ($1::int[])`,

  /** Admin retry, with reopenDigest in one transaction: the attempts start again from zero. $1 digest. */
  requeueFailed: `UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = NULL, lease_until = NULL
          WHERE digest_id = $1 AND status = 'failed'`,

  /** A done digest goes back to 'sending', so the senders' claims see it again. $1 digest. */
  reopenDigest: `UPDATE digests SET status = 'sending', completed_at = NULL WHERE id = $1`,
} as const;
