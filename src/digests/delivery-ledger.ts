import type pg from 'pg';

/**
 * The SQL of the delivery ledger (table `deliveries`, one row per digest and recipient). Every
 * statement is set-based and works on a bounded batch, so memory stays flat in the number of
 * subscribers, and every state change is a single statement, so a crash leaves rows either
 * claimed (and reclaimable when the lease expires) or settled, never half-done.
 */

import type { Frequency } from '../shared/frequency';

export interface DeliveryKey {
  digestId: number;
  subscriberId: number;
}

export interface ClaimedDelivery extends DeliveryKey {
  email: string;
  attempts: number;
}

export interface Queryable {
  query: pg.Pool['query'];
}

/**
 * An edition's fan-out and the ANALYZE after it can run for minutes on a large list: they are
 * exempt from DATABASE_QUERY_TIMEOUT_MS, which is meant for statements a reader waits on.
 * (`query_timeout` is pg's per-query client limit; its types do not declare it.)
 */
function bulk(text: string, values: unknown[] = []): pg.QueryConfig {
  return { text, values, query_timeout: 30 * 60_000 } as pg.QueryConfig;
}

export class DeliveryLedger {
  constructor(private readonly deps: { pool: pg.Pool }) {}

  /**
   * Freezes the recipients of a digest: one INSERT ... SELECT inside the digest's own transaction,
   * so the list exists exactly when the digest does and is never loaded into this process.
   */
  async recordRecipients(tx: Queryable, digestId: number, frequency: Frequency): Promise<number> {
    await tx.query(`SET LOCAL statement_timeout = 0`);
    const { rowCount } = await tx.query(
      bulk(
        `INSERT INTO deliveries (digest_id, subscriber_id)
         SELECT $1, s.id FROM subscribers s
          WHERE s.status = 'confirmed' AND s.frequency = $2::"Frequency" AND s.suppressed_at IS NULL`,
        [digestId, frequency],
      ),
    );
    return rowCount ?? 0;
  }

  /**
   * After a fan-out the table grew by a whole list at once; without fresh statistics the planner
   * believes a digest has a few dozen deliveries and sorts all of them on every claim.
   */
  async refreshStatistics(): Promise<void> {
    const client = await this.deps.pool.connect();
    try {
      // A session setting, reset before the connection goes back to the pool (dropped on failure).
      await client.query('SET statement_timeout = 0');
      await client.query(bulk('ANALYZE deliveries'));
      await client.query('RESET statement_timeout');
      client.release();
    } catch (err) {
      client.release(err as Error);
      throw err;
    }
  }

  /**
   * Claims up to `limit` deliveries for this sender: first rows whose lease ran out (their sender
   * crashed), then pending ones that are due.
   */
  async claim(limit: number, leaseSeconds: number): Promise<ClaimedDelivery[]> {
    const expired = await this.claimWhere(`d.status = 'sending' AND d.lease_until < now()`, "'sending'", limit, leaseSeconds);
    if (expired.length >= limit) return expired;
    const due = await this.claimWhere(
      `d.status = 'pending' AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= now())`,
      "'pending'",
      limit - expired.length,
      leaseSeconds,
    );
    return [...expired, ...due];
  }

  /**
   * Shape: for each digest being sent, a LATERAL subquery walks the (digest_id, status,
   * subscriber_id) index in subscriber order and stops after `limit` rows, so a claim costs the
   * same at the first row of a 100,000-recipient edition as at the last (sent rows are never
   * visited): paging by id, never by offset. FOR UPDATE SKIP LOCKED lets concurrent senders (other
   * workers, other instances) take disjoint rows without waiting on one another; the CTE is
   * MATERIALIZED so the LIMIT applies once.
   *
   * The UPDATE joins subscribers, so whoever unsubscribed or got suppressed after the digest was
   * composed is turned into 'skipped' here, in the same statement, and never reaches the mailer.
   */
  private async claimWhere(condition: string, status: string, limit: number, leaseSeconds: number): Promise<ClaimedDelivery[]> {
    const { rows } = await this.deps.pool.query<{
      digest_id: number;
      subscriber_id: number;
      email: string;
      attempts: number;
      status: string;
    }>(
      `WITH claimable AS MATERIALIZED (
         SELECT c.digest_id, c.subscriber_id
           FROM digests g
          CROSS JOIN LATERAL (
                SELECT d.digest_id, d.subscriber_id
                  FROM deliveries d
                 WHERE d.digest_id = g.id AND d.status = ${status} AND ${condition}
                 ORDER BY d.subscriber_id
                 LIMIT $1
                   FOR UPDATE OF d SKIP LOCKED
               ) c
          WHERE g.status = 'sending'
          ORDER BY c.digest_id, c.subscriber_id
          LIMIT $1
       )
       UPDATE deliveries d
          SET status = CASE WHEN s.status = 'confirmed' AND s.suppressed_at IS NULL
                            THEN 'sending'::"DeliveryStatus" ELSE 'skipped'::"DeliveryStatus" END,
              lease_until = now() + make_interval(secs => $2),
              attempts = d.attempts + CASE WHEN s.status = 'confirmed' AND s.suppressed_at IS NULL THEN 1 ELSE 0 END
         FROM subscribers s
        WHERE s.id = d.subscriber_id
          AND (d.digest_id, d.subscriber_id) IN (SELECT digest_id, subscriber_id FROM claimable)
       RETURNING d.digest_id, d.subscriber_id, s.email, d.attempts, d.status::text AS status`,
      [limit, leaseSeconds],
    );
    return rows
      .filter((r) => r.status === 'sending')
      .sort((a, b) => a.digest_id - b.digest_id || a.subscriber_id - b.subscriber_id)
      .map((r) => ({ digestId: r.digest_id, subscriberId: r.subscriber_id, email: r.email, attempts: r.attempts }));
  }

  /** Keeps claims alive while they wait their turn (slow sends, rate limits). */
  async renewLeases(keys: DeliveryKey[], leaseSeconds: number): Promise<void> {
    if (!keys.length) return;
    await this.deps.pool.query(
      `UPDATE deliveries d SET lease_until = now() + make_interval(secs => $3)
         FROM unnest($1::int[], $2::int[]) AS k(digest_id, subscriber_id)
        WHERE d.digest_id = k.digest_id AND d.subscriber_id = k.subscriber_id AND d.status = 'sending'`,
      [keys.map((k) => k.digestId), keys.map((k) => k.subscriberId), leaseSeconds],
    );
  }

  /**
   * Records accepted messages, many per statement (the sender groups them while one write is in
   * flight). A successful send also ends a run of hard bounces for that address.
   */
  async markSent(sent: Array<DeliveryKey & { messageId: string }>): Promise<void> {
    if (!sent.length) return;
    await this.deps.pool.query(
      `WITH done AS (
         UPDATE deliveries d
            SET status = 'sent', sent_at = now(), message_id = k.message_id, lease_until = NULL, last_error = NULL
           FROM unnest($1::int[], $2::int[], $3::text[]) AS k(digest_id, subscriber_id, message_id)
          WHERE d.digest_id = k.digest_id AND d.subscriber_id = k.subscriber_id
          RETURNING d.subscriber_id
       )
       UPDATE subscribers SET hard_bounces = 0
        WHERE id IN (SELECT subscriber_id FROM done) AND hard_bounces > 0`,
      [sent.map((s) => s.digestId), sent.map((s) => s.subscriberId), sent.map((s) => s.messageId)],
    );
  }

  /** A 4xx answer: try again after `delaySeconds`, or give up once the attempts are spent. */
  async markTransientFailure(key: DeliveryKey, error: string, delaySeconds: number, maxAttempts: number): Promise<void> {
    await this.deps.pool.query(
      `UPDATE deliveries
          SET status = CASE WHEN attempts >= $4 THEN 'failed'::"DeliveryStatus" ELSE 'pending'::"DeliveryStatus" END,
              next_attempt_at = now() + make_interval(secs => $5),
              lease_until = NULL, last_error = left($3, 1000)
        WHERE digest_id = $1 AND subscriber_id = $2`,
      [key.digestId, key.subscriberId, error, maxAttempts, delaySeconds],
    );
  }

  /**
   * A 5xx answer: final for this delivery. Counts a hard bounce in a row for the address, and
   * suppresses it (no more digests) when the run reaches `hardBounceLimit`.
   */
  async markPermanentFailure(key: DeliveryKey, error: string, hardBounceLimit: number): Promise<void> {
    await this.deps.pool.query(
      `WITH failed AS (
         UPDATE deliveries SET status = 'failed', lease_until = NULL, last_error = left($3, 1000)
          WHERE digest_id = $1 AND subscriber_id = $2
          RETURNING subscriber_id
       )
       UPDATE subscribers
          SET hard_bounces = hard_bounces + 1,
              suppressed_at = CASE WHEN hard_bounces + 1 >= $4 THEN coalesce(suppressed_at, now()) ELSE suppressed_at END
        WHERE id IN (SELECT subscriber_id FROM failed)`,
      [key.digestId, key.subscriberId, error, hardBounceLimit],
    );
  }

  /**
   * Gives claims back unsent (graceful stop, SMTP outage): pending again, and the attempt is not
   * counted, since the recipient was never tried or the failure was not theirs.
   */
  async release(keys: DeliveryKey[], error?: string): Promise<void> {
    if (!keys.length) return;
    await this.deps.pool.query(
      `UPDATE deliveries d
          SET status = 'pending', lease_until = NULL, attempts = greatest(d.attempts - 1, 0),
              last_error = coalesce(left($3, 1000), d.last_error)
         FROM unnest($1::int[], $2::int[]) AS k(digest_id, subscriber_id)
        WHERE d.digest_id = k.digest_id AND d.subscriber_id = k.subscriber_id AND d.status = 'sending'`,
      [keys.map((k) => k.digestId), keys.map((k) => k.subscriberId), error ?? null],
    );
  }

  /** Where a digest's send stands; `due` counts deliveries claimable now or in flight. */
  async progress(digestId: number): Promise<Record<'due' | 'later' | 'sent' | 'failed' | 'skipped', number>> {
    const { rows } = await this.deps.pool.query(
      `SELECT count(*) FILTER (WHERE status = 'sending' OR (status = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= now())))::int AS due,
              count(*) FILTER (WHERE status = 'pending' AND next_attempt_at > now())::int AS later,
              count(*) FILTER (WHERE status = 'sent')::int AS sent,
              count(*) FILTER (WHERE status = 'failed')::int AS failed,
              count(*) FILTER (WHERE status = 'skipped')::int AS skipped
         FROM deliveries WHERE digest_id = $1`,
      [digestId],
    );
    return rows[0];
  }

  /** Digests with nothing left to send (nothing pending or in flight) are done. */
  async completeFinishedDigests(): Promise<void> {
    await this.deps.pool.query(
      `UPDATE digests g SET status = 'done', completed_at = now()
        WHERE g.status = 'sending'
          AND NOT EXISTS (SELECT 1 FROM deliveries d
                           WHERE d.digest_id = g.id AND d.status IN ('pending', 'sending'))`,
    );
  }

  /** Puts a digest's failed deliveries back in the queue (admin action). Returns how many. */
  async retryFailed(digestId: number): Promise<number> {
    const client = await this.deps.pool.connect();
    try {
      await client.query('BEGIN');
      const { rowCount } = await client.query(
        `UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = NULL, lease_until = NULL
          WHERE digest_id = $1 AND status = 'failed'`,
        [digestId],
      );
      if (rowCount) await client.query(`UPDATE digests SET status = 'sending', completed_at = NULL WHERE id = $1`, [digestId]);
      await client.query('COMMIT');
      return rowCount ?? 0;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }
}
