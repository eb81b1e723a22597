import type pg from 'pg';
import { bulkStatement, withTransaction } from '../db/transaction';
import type { DeliveryStatus, NewsletterKind } from '../generated/prisma/enums';
import { EventRecorder, type EventRecording } from '../events/event-recorder';
import type { Clock } from '../shared/clock';
import { ClaimCursor } from './claim-cursor';
import type { SenderIdentity } from './sender-registry';

/**
 * The delivery ledger (table `deliveries`, one row per digest and recipient). Every statement is
 * set-based and works on a bounded batch, so memory stays flat in the number of subscribers, and
 * every state change is a single statement, so a crash leaves rows either claimed (and reclaimable
 * when the lease expires) or settled, never half-done.
 *
 * Two clocks, on purpose:
 * - Leases (`lease_until`) follow the DATABASE's now(). Senders on several machines take over one
 *   another's claims when a lease runs out; judged by one clock, a claim is never taken from a live
 *   sender however far the machines' clocks drift apart.
 * - Everything else (retry times, sent_at, completed_at, suppressed_at) follows the injected Clock,
 *   passed as a parameter, like the timestamps the Prisma side writes, so tests move time instead
 *   of waiting. A retry time is written and compared by app clocks: skew between machines only
 *   moves a retry by that skew, which no one can tell from a slow server.
 */

export interface DeliveryKey {
  digestId: number;
  subscriberId: number;
}

export interface ClaimedDelivery extends DeliveryKey {
  email: string;
  attempts: number;
}

export type DeliveryProgress = Record<'due' | 'later' | 'sent' | 'failed' | 'skipped', number>;

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

/** The ledger's statements, named; each comment says why the statement has its shape. */
const SQL = {
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

/** The claimed ones of a claim's rows, in reader order. */
function claimedOf(rows: ClaimedRow[]): ClaimedDelivery[] {
  return rows
    .filter((r) => r.status === 'sending')
    .sort((a, b) => a.digest_id - b.digest_id || a.subscriber_id - b.subscriber_id)
    .map((r) => ({ digestId: r.digest_id, subscriberId: r.subscriber_id, email: r.email, attempts: r.attempts }));
}

interface ClaimedRow {
  digest_id: number;
  subscriber_id: number;
  email: string;
  attempts: number;
  status: DeliveryStatus;
}

interface CompletedEditionRow {
  id: number;
  slug: string;
  kind: NewsletterKind;
  subject: string;
  edition_at: Date;
  completed_at: Date;
  recipients: number;
  failed: number;
  skipped: number;
}

export class DeliveryLedger {
  private readonly events: EventRecording;
  private readonly cursor = new ClaimCursor();

  /** `events`: where `edition.sent` is recorded; by default straight into the database (any process may complete an edition). */
  constructor(private readonly deps: { pool: pg.Pool; clock: Clock; events?: EventRecording }) {
    this.events = deps.events ?? new EventRecorder({ clock: deps.clock });
  }

  /** Runs inside the digest's own transaction (`tx`), so the list exists exactly when the digest does. */
  async recordRecipients(tx: pg.ClientBase, digestId: number, newsletterId: number): Promise<number> {
    await tx.query(`SET LOCAL statement_timeout = 0`);
    const { rowCount } = await tx.query(bulkStatement(SQL.recordRecipients, [digestId, newsletterId]));
    await tx.query(SQL.keepRecipients, [digestId, rowCount ?? 0]);
    return rowCount ?? 0;
  }

  /**
   * After a fan-out the table grew by a whole list at once; without fresh statistics the planner
   * believes a digest has a few dozen deliveries and sorts all of them on every claim. In a
   * transaction so the lifted timeout (SET LOCAL) ends with it.
   */
  async refreshStatistics(): Promise<void> {
    await withTransaction(this.deps.pool, async (tx) => {
      await tx.query('SET LOCAL statement_timeout = 0');
      await tx.query(bulkStatement('ANALYZE deliveries'));
    });
  }

  /**
   * Claims up to `limit` deliveries for this sender: first rows whose sender died (its beat
   * stopped, or the lease ran out), then pending ones that are due. `onSkipped` hears the rows the claim turned into
   * 'skipped' (their reader left or was suppressed since the edition was composed).
   */
  async claim(
    limit: number,
    leaseSeconds: number,
    onSkipped?: (skipped: DeliveryKey[]) => void,
    sender?: SenderIdentity,
  ): Promise<ClaimedDelivery[]> {
    const senderId = sender?.id ?? null;
    // Without a sender identity, no beat can be judged: only leases that ran out are taken.
    const staleSeconds = sender?.staleSeconds ?? 2_000_000_000;
    const expired = claimedOf(await this.claimWith(SQL.claimExpired, [limit, leaseSeconds, senderId, staleSeconds], onSkipped));
    if (expired.length >= limit) return expired;
    const due = () => this.claimWith(SQL.claimDue, [limit - expired.length, leaseSeconds, this.now(), senderId, ...this.cursor.values()], onSkipped);
    let rows = await due();
    // Nothing after the cursor: start over from the first reader, for rows given back or due again.
    if (!rows.length && this.cursor.reset()) rows = await due();
    this.cursor.passed(rows);
    return [...expired, ...claimedOf(rows)];
  }

  /** Every row the claim changed: 'sending' (claimed) or 'skipped' (`onSkipped` hears of those). */
  private async claimWith(statement: string, values: unknown[], onSkipped?: (skipped: DeliveryKey[]) => void): Promise<ClaimedRow[]> {
    const { rows } = await this.deps.pool.query<ClaimedRow>(statement, values);
    const skipped = rows.filter((r) => r.status === 'skipped');
    if (skipped.length && onSkipped) onSkipped(skipped.map((r) => ({ digestId: r.digest_id, subscriberId: r.subscriber_id })));
    return rows;
  }

  /** Keeps claims alive while they wait their turn (slow sends, rate limits). */
  async renewLeases(keys: DeliveryKey[], leaseSeconds: number): Promise<void> {
    if (!keys.length) return;
    await this.deps.pool.query(SQL.renewLeases, [digestIds(keys), subscriberIds(keys), leaseSeconds]);
  }

  /** Records accepted messages; a successful send also ends a run of hard bounces for that address. */
  async markSent(sent: Array<DeliveryKey & { messageId: string }>): Promise<void> {
    if (!sent.length) return;
    await this.deps.pool.query(SQL.markSent, [digestIds(sent), subscriberIds(sent), sent.map((s) => s.messageId), this.now()]);
  }

  /** A 4xx answer: try again after `delaySeconds`, or give up once the attempts are spent. */
  async markTransientFailure(key: DeliveryKey, error: string, delaySeconds: number, maxAttempts: number): Promise<void> {
    await this.deps.pool.query(SQL.markTransientFailure, [key.digestId, key.subscriberId, error, maxAttempts, delaySeconds, this.now()]);
  }

  /** A 5xx answer: final; suppresses the address when its run of hard bounces reaches `hardBounceLimit`. */
  async markPermanentFailure(key: DeliveryKey, error: string, hardBounceLimit: number): Promise<void> {
    await this.deps.pool.query(SQL.markPermanentFailure, [key.digestId, key.subscriberId, error, hardBounceLimit, this.now()]);
  }

  /**
   * Gives claims back unsent (graceful stop, SMTP outage): pending again, and the attempt is not
   * counted, since the recipient was never tried or the failure was not theirs.
   */
  async release(keys: DeliveryKey[], error?: string): Promise<void> {
    if (!keys.length) return;
    await this.deps.pool.query(SQL.release, [digestIds(keys), subscriberIds(keys), error ?? null]);
  }

  /** Where a digest's send stands; `due` counts deliveries claimable now or in flight. */
  async progress(digestId: number): Promise<DeliveryProgress> {
    const { rows } = await this.deps.pool.query<DeliveryProgress>(SQL.progress, [digestId, this.now()]);
    return rows[0] as DeliveryProgress;
  }

  /**
   * Digests with nothing left to send (nothing pending or in flight) are done, and each records its
   * `edition.sent` in the same transaction (once per edition: an edition completed again after
   * *Retry failed* keeps the first one, by its once key).
   */
  async completeFinishedDigests(): Promise<void> {
    await withTransaction(this.deps.pool, async (tx) => {
      const { rows } = await tx.query<{ id: number }>(SQL.completeFinishedDigests, [this.now()]);
      if (!rows.length) return;
      const editions = await tx.query<CompletedEditionRow>(SQL.completedEditions, [rows.map((r) => r.id)]);
      for (const e of editions.rows) {
        await this.events.record(tx, {
          type: 'edition.sent',
          onceKey: `edition.sent:${e.id}`,
          data: {
            edition: { id: e.id, newsletter: e.slug, kind: e.kind, subject: e.subject, editionAt: e.edition_at.toISOString(), completedAt: e.completed_at.toISOString() },
            deliveries: { recipients: e.recipients, sent: e.recipients - e.failed - e.skipped, failed: e.failed, skipped: e.skipped },
          },
        });
      }
    });
  }

  /** Puts a digest's failed deliveries back in the queue (admin action). Returns how many. */
  async retryFailed(digestId: number): Promise<number> {
    return withTransaction(this.deps.pool, async (tx) => {
      const { rowCount } = await tx.query(SQL.requeueFailed, [digestId]);
      if (rowCount) await tx.query(SQL.reopenDigest, [digestId]);
      return rowCount ?? 0;
    });
  }

  private now(): Date {
    return this.deps.clock.now();
  }
}

function digestIds(keys: DeliveryKey[]): number[] {
  return keys.map((k) => k.digestId);
}

function subscriberIds(keys: DeliveryKey[]): number[] {
  return keys.map((k) => k.subscriberId);
}
