import type pg from 'pg';
import { bulkStatement, withTransaction } from '../db/transaction';
import type { DeliveryStatus, NewsletterKind } from '../generated/prisma/enums';
import { EventRecorder, type EventRecording } from '../events/event-recorder';
import type { Clock } from '../shared/clock';
import { ClaimCursor } from './claim-cursor';
import { LEDGER_SQL } from './delivery-queries';
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
    const { rowCount } = await tx.query(bulkStatement(LEDGER_SQL.recordRecipients, [digestId, newsletterId]));
    await tx.query(LEDGER_SQL.keepRecipients, [digestId, rowCount ?? 0]);
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
    const expired = claimedOf(await this.claimWith(LEDGER_SQL.claimExpired, [limit, leaseSeconds, senderId, staleSeconds], onSkipped));
    if (expired.length >= limit) return expired;
    const due = () => this.claimWith(LEDGER_SQL.claimDue, [limit - expired.length, leaseSeconds, this.now(), senderId, ...this.cursor.values()], onSkipped);
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
    await this.deps.pool.query(LEDGER_SQL.renewLeases, [digestIds(keys), subscriberIds(keys), leaseSeconds]);
  }

  /** Records accepted messages; a successful send also ends a run of hard bounces for that address. */
  async markSent(sent: Array<DeliveryKey & { messageId: string }>): Promise<void> {
    if (!sent.length) return;
    await this.deps.pool.query(LEDGER_SQL.markSent, [digestIds(sent), subscriberIds(sent), sent.map((s) => s.messageId), this.now()]);
  }

  /** A 4xx answer: try again after `delaySeconds`, or give up once the attempts are spent. */
  async markTransientFailure(key: DeliveryKey, error: string, delaySeconds: number, maxAttempts: number): Promise<void> {
    await this.deps.pool.query(LEDGER_SQL.markTransientFailure, [key.digestId, key.subscriberId, error, maxAttempts, delaySeconds, this.now()]);
  }

  /** A 5xx answer: final; suppresses the address when its run of hard bounces reaches `hardBounceLimit`. */
  async markPermanentFailure(key: DeliveryKey, error: string, hardBounceLimit: number): Promise<void> {
    await this.deps.pool.query(LEDGER_SQL.markPermanentFailure, [key.digestId, key.subscriberId, error, hardBounceLimit, this.now()]);
  }

  /**
   * Gives claims back unsent (graceful stop, SMTP outage): pending again, and the attempt is not
   * counted, since the recipient was never tried or the failure was not theirs.
   */
  async release(keys: DeliveryKey[], error?: string): Promise<void> {
    if (!keys.length) return;
    await this.deps.pool.query(LEDGER_SQL.release, [digestIds(keys), subscriberIds(keys), error ?? null]);
  }

  /** Where a digest's send stands; `due` counts deliveries claimable now or in flight. */
  async progress(digestId: number): Promise<DeliveryProgress> {
    const { rows } = await this.deps.pool.query<DeliveryProgress>(LEDGER_SQL.progress, [digestId, this.now()]);
    return rows[0] as DeliveryProgress;
  }

  /**
   * Digests with nothing left to send (nothing pending or in flight) are done, and each records its
   * `edition.sent` in the same transaction (once per edition: an edition completed again after
   * *Retry failed* keeps the first one, by its once key).
   */
  async completeFinishedDigests(): Promise<void> {
    await withTransaction(this.deps.pool, async (tx) => {
      const { rows } = await tx.query<{ id: number }>(LEDGER_SQL.completeFinishedDigests, [this.now()]);
      if (!rows.length) return;
      const editions = await tx.query<CompletedEditionRow>(LEDGER_SQL.completedEditions, [rows.map((r) => r.id)]);
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
      const { rowCount } = await tx.query(LEDGER_SQL.requeueFailed, [digestId]);
      if (rowCount) await tx.query(LEDGER_SQL.reopenDigest, [digestId]);
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
