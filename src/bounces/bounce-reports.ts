import type pg from 'pg';
import { withTransaction } from '../db/transaction';
import type { DeliveryKey } from '../digests/delivery-ledger';
import { daysBefore, type Clock } from '../shared/clock';
import type { Logger } from '../shared/logger';
import { ALL_NEWSLETTERS, type DeliveryMetrics } from '../metrics/metrics';
import type { EventRecording } from '../events/event-recorder';
import {
  COUNT_SOFT_BOUNCES,
  DELETE_CONFIRMATION_TOKENS,
  DELIVERY_OF_MESSAGE,
  LOCK_SUBSCRIBER_BY_EMAIL,
  LOCK_SUBSCRIBER_BY_ID,
  RECORD_COMPLAINT,
  SPEND_NONCE,
  STORE_REPORT,
  SUPPRESS,
  UNSUBSCRIBE_COMPLAINER,
  type DeliveryOfMessageRow,
  type LockedSubscriberRow,
  type SoftCountRow,
} from './bounce-queries';
import { eventKey, normaliseAddress, REASON_MAX, rejected, sha256, type BounceProvider, type BounceReport } from './bounce-report';

/** How a suppression's reason names the door a report came through (the console shows it). */
const PROVIDER_NAMES: Record<BounceProvider, string> = {
  generic: 'the bounce webhook',
  ses: 'Amazon SES',
  postmark: 'Postmark',
  mailgun: 'Mailgun',
  sendgrid: 'SendGrid',
  raw: 'a bounce message',
};

/**
 * What a report did:
 * - duplicate: the same report was stored before; nothing changed;
 * - unknown: no subscriber holds the address; stored, nothing else;
 * - suppressed: the address is now left out of every send (a hard bounce, or the soft bounce that
 *   reached the limit; also when it already was);
 * - counted: a soft bounce below the limit;
 * - complained: unsubscribed from everything, suppressed, and the complaint recorded as consent.
 */
export type ReportOutcome = 'duplicate' | 'unknown' | 'suppressed' | 'counted' | 'complained';

/** What the messages' ids tell (src/digests/delivery-message-ids.ts). */
export interface MessageIdReader {
  parse(messageId: string | undefined): DeliveryKey | undefined;
}

/** A provider's one-time value from a verified request (Mailgun's token): a second use is a replay. */
export interface Nonce {
  provider: BounceProvider;
  value: string;
  /** How long a request carrying it is fresh: it is remembered at least that long. */
  freshSeconds: number;
}

export interface BounceSettings {
  /** Soft bounces within the window that suppress (BOUNCE_SOFT_LIMIT). */
  softLimit: number;
  softWindowDays: number;
}

/**
 * The one service every webhook door feeds: it stores each report and acts on it, in one
 * transaction per report, so a report is stored exactly when its effect is, and the unique event
 * key makes the same report twice act once. A report names its delivery by Message-ID when the
 * provider quotes one of ours; otherwise its address names the subscriber.
 */
export class BounceReports {
  constructor(
    private readonly deps: {
      pool: pg.Pool;
      clock: Clock;
      logger: Logger;
      messageIds: MessageIdReader;
      settings: BounceSettings;
      metrics: Pick<DeliveryMetrics, 'bounce' | 'complaint'>;
      events: EventRecording;
    },
  ) {}

  /** Each report in its own transaction; a provider's batch that fails halfway is retried whole, and the stored ones are duplicates then. */
  async receiveAll(reports: readonly BounceReport[]): Promise<ReportOutcome[]> {
    const outcomes: ReportOutcome[] = [];
    for (const report of reports) outcomes.push(await this.receive(report));
    return outcomes;
  }

  /**
   * One report. With a nonce, the nonce is spent in the same transaction, so a request that failed
   * (the database hiccuped) can be retried with it, and a replay changes nothing (401).
   */
  async receive(report: BounceReport, nonce?: Nonce): Promise<ReportOutcome> {
    const { outcome, newsletter } = await withTransaction(this.deps.pool, async (tx) => {
      if (nonce) await this.spend(tx, nonce);
      return this.act(tx, report);
    });
    // Counted once committed, and once per report (a duplicate counts nothing); a report that
    // quotes no delivery of ours counts for no newsletter in particular.
    if (outcome !== 'duplicate') {
      const label = newsletter ?? ALL_NEWSLETTERS;
      if (report.type === 'complaint') this.deps.metrics.complaint(label);
      else this.deps.metrics.bounce(label, report.type);
    }
    // Never the address: only what a log reader needs to follow the provider's event.
    this.deps.logger.info({ provider: report.provider, eventId: report.eventId.slice(0, 100), type: report.type, outcome }, 'bounce report');
    return outcome;
  }

  /** A verified message that names no report (a delay, an auto-reply, nothing of ours): nothing is stored, the log says why. */
  ignored(provider: BounceProvider, reason: string): void {
    this.deps.logger.info({ provider, reason: reason.slice(0, 200) }, 'bounce message ignored');
  }

  /** A verified request that brought no report (an event Bulletin does not act on) still spends its nonce. */
  async spendNonce(nonce: Nonce): Promise<void> {
    await this.spend(this.deps.pool, nonce);
  }

  private async spend(db: pg.Pool | pg.ClientBase, nonce: Nonce): Promise<void> {
    const now = this.deps.clock.now();
    // Kept twice as long as a request stays fresh: clocks of the provider and this machine may differ by the tolerance.
    const forgetBefore = new Date(now.getTime() - 2 * nonce.freshSeconds * 1000);
    const { rowCount } = await db.query(SPEND_NONCE, [sha256(`${nonce.provider}\n${nonce.value}`), nonce.provider, now, forgetBefore]);
    if (rowCount !== 1) throw rejected('this request was seen before (replay)');
  }

  /** The report's effect, and the newsletter of the delivery it quotes (if it quotes one of ours). */
  private async act(tx: pg.ClientBase, report: BounceReport): Promise<{ outcome: ReportOutcome; newsletter?: string }> {
    const delivery = await this.deliveryOf(tx, report.delivery ?? this.deps.messageIds.parse(report.messageId));
    const subscriber = await this.lockSubscriber(tx, delivery?.subscriber_id, report.email);
    const outcome = await this.apply(tx, report, delivery, subscriber?.id);
    // Told to the operator's webhooks in the same transaction (outgoing events, src/events).
    if (subscriber && outcome !== 'duplicate') await this.emit(tx, report, subscriber, outcome, delivery);
    return { outcome, newsletter: delivery?.newsletter };
  }

  private async emit(tx: pg.ClientBase, report: BounceReport, subscriber: LockedSubscriberRow, outcome: ReportOutcome, delivery?: DeliveryOfMessageRow): Promise<void> {
    const subscriberId = subscriber.id;
    const ours = delivery?.subscriber_id === subscriberId ? delivery : undefined;
    await this.deps.events.record(tx, {
      type: report.type === 'complaint' ? 'delivery.complained' : 'delivery.bounced',
      subscriberId,
      data: {
        subscriber: { id: subscriberId, email: subscriber.email },
        ...(report.type === 'complaint' ? {} : { bounce: report.type }),
        provider: report.provider,
        edition: ours ? { id: ours.digest_id, newsletter: ours.newsletter } : null,
        suppressed: outcome === 'suppressed' || outcome === 'complained',
      },
    });
  }

  private async apply(tx: pg.ClientBase, report: BounceReport, delivery: DeliveryOfMessageRow | undefined, subscriberId: number | undefined): Promise<ReportOutcome> {
    const now = this.deps.clock.now();
    const { rowCount } = await tx.query(STORE_REPORT, [
      report.provider,
      eventKey(report),
      report.eventId,
      report.type,
      subscriberId ?? null,
      subscriberId === undefined ? sha256(normaliseAddress(report.email)) : null,
      subscriberId !== undefined && delivery?.subscriber_id === subscriberId ? delivery.digest_id : null,
      report.reason ? report.reason.slice(0, REASON_MAX) : null,
      now,
    ]);
    if (rowCount !== 1) return 'duplicate';
    if (subscriberId === undefined) return 'unknown';
    const door = PROVIDER_NAMES[report.provider];
    if (report.type === 'hard') {
      await tx.query(SUPPRESS, [subscriberId, now, `Hard bounce reported by ${door}${report.reason ? `: ${report.reason}` : ''}`]);
      return 'suppressed';
    }
    if (report.type === 'soft') {
      const windowStart = daysBefore(now, this.deps.settings.softWindowDays);
      const { rows } = await tx.query<SoftCountRow>(COUNT_SOFT_BOUNCES, [subscriberId, windowStart]);
      if ((rows[0]?.soft ?? 0) < this.deps.settings.softLimit) return 'counted';
      const { softLimit, softWindowDays } = this.deps.settings;
      await tx.query(SUPPRESS, [subscriberId, now, `${softLimit} soft bounces within ${softWindowDays} days, the last reported by ${door}`]);
      return 'suppressed';
    }
    await tx.query(UNSUBSCRIBE_COMPLAINER, [subscriberId, now, `Spam complaint reported by ${door}`]);
    await tx.query(DELETE_CONFIRMATION_TOKENS, [subscriberId]);
    await tx.query(RECORD_COMPLAINT, [subscriberId, delivery?.subscriber_id === subscriberId ? delivery.newsletter_id : null, `complaint:${report.provider}`, now]);
    return 'complained';
  }

  /** The delivery a report names (its signed Message-ID or return path), if it still exists. */
  private async deliveryOf(tx: pg.ClientBase, key: DeliveryKey | undefined): Promise<DeliveryOfMessageRow | undefined> {
    if (!key) return undefined;
    const { rows } = await tx.query<DeliveryOfMessageRow>(DELIVERY_OF_MESSAGE, [key.digestId, key.subscriberId]);
    return rows[0];
  }

  /** The delivery's subscriber when a Message-ID named one (the address may be an alias), else the address's. */
  private async lockSubscriber(tx: pg.ClientBase, deliveredTo: number | undefined, email: string): Promise<LockedSubscriberRow | undefined> {
    const { rows } =
      deliveredTo !== undefined
        ? await tx.query<LockedSubscriberRow>(LOCK_SUBSCRIBER_BY_ID, [deliveredTo])
        : await tx.query<LockedSubscriberRow>(LOCK_SUBSCRIBER_BY_EMAIL, [normaliseAddress(email)]);
    return rows[0];
  }
}
