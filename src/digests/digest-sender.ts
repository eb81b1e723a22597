import { failureKind, SmtpFailure, type Mailer } from '../mail/mailer';
import { noMetrics, type DeliveryMetrics } from '../metrics/metrics';
import { MessageScratch, PreparedDigestMime, newsletterMimeSettings, type DigestMimeSettings } from '../mail/digest-mime';
import type { WaitingClock } from '../shared/clock';
import type { SignedLinks } from '../shared/signed-links';
import type { Logger } from '../shared/logger';
import type { ClaimedDelivery, DeliveryKey, DeliveryLedger } from './delivery-ledger';
import type { DeliveryMessageIds } from './delivery-message-ids';
import type { DigestRepository } from './digest-repository';
import { digestRecipient } from './digest-renderer';
import { HourlyRateLimit } from './hourly-rate-limit';
import { SentRecorder } from './sent-recorder';
import type { SenderRegistry } from './sender-registry';

export interface DigestSenderOptions {
  concurrency: number;
  batchSize: number;
  maxAttempts: number;
  hardBounceLimit: number;
  ratePerHour: number;
  /**
   * MAIL_BOUNCE_VERP: each message's envelope sender carries its delivery's signed tag (the mail
   * layer adds it after a `+`). Off, no tag is computed (an HMAC, ~4 us per delivery).
   */
  verp?: boolean;
  /** First delay after a 4xx answer; doubles with each attempt (capped at an hour). */
  retryDelaySeconds: number;
  /**
   * How long a claim is ours (SEND_LEASE_SECONDS); renewed while held. With a sender registry this
   * is only the backstop: a dead sender's claims are taken over once its beat is stale.
   */
  leaseSeconds?: number;
  /** How often an idle sender looks for work another instance composed. */
  pollIntervalMs?: number;
  /** Pause after the SMTP server stops answering; doubles per failed probe up to the maximum. */
  outagePauseMs?: number;
  outagePauseMaxMs?: number;
}

/**
 * Rows claimed ahead per lane. One per lane (a claim per message batch of 20) cost a third of the
 * throughput at 10,000 readers (1,124 msg/s against 1,541-1,608 with 200 at once, same machine and
 * hour); four keeps a claim per 80 messages and strands at most that many rows on a crash, which
 * the sender registry hands to another sender within seconds anyway.
 */
export const CLAIM_AHEAD_PER_LANE = 4;

/** What the sender needs of the ledger and the repository (fakes in unit tests). */
export type SenderLedger = Pick<
  DeliveryLedger,
  'claim' | 'renewLeases' | 'markSent' | 'markTransientFailure' | 'markPermanentFailure' | 'release' | 'completeFinishedDigests'
>;
export type SenderDigests = Pick<DigestRepository, 'byId'>;

/**
 * The sending loop: claim a batch from the ledger, send with bounded concurrency, mark each
 * delivery right after the SMTP server accepts it. Any number of these may run (processes,
 * instances): the ledger's SKIP LOCKED claims keep them apart.
 *
 * SMTP outage (an `unreachable` SmtpFailure: connection refused or dropped, no SMTP verdict on the
 * message): the unsent claims go back to the ledger uncounted, the loop pauses, then probes with
 * one message at a time and resumes at full speed once one gets through. The failing delivery goes
 * back uncounted too, unless its data had reached the server (SmtpFailure.dataSent).
 *
 * A server silent on one message (no answer to its data within SMTP_MESSAGE_TIMEOUT_MS) is not an
 * outage: that message fails transiently, counted and retried with backoff like a 4xx, while the
 * other lanes go on. So every message ends, sent or failed after SEND_MAX_ATTEMPTS.
 */
export class DigestSender {
  private readonly o: Required<DigestSenderOptions>;
  private readonly limiter: HourlyRateLimit;
  private readonly recorder: SentRecorder;
  private readonly metrics: DeliveryMetrics;
  private readonly prepared = new Map<number, Promise<PreparedEdition>>();
  private queue: ClaimedDelivery[] = [];
  private readonly inFlight = new Set<ClaimedDelivery>();
  /** Sends whose lane moved on when they stalled (Mailer's onStall); drain waits for them. */
  private readonly stalledSends = new Set<Promise<unknown>>();
  private refilling: Promise<boolean> | undefined;
  private stopping = false;
  private running: Promise<void> | undefined;
  /** Sleeps that `wake()` and `stop()` cut short. */
  private readonly sleepers = new Set<AbortController>();
  private pausedUntil = 0;
  private probing = false;
  private outagePauseMs: number;

  constructor(
    private readonly deps: {
      ledger: SenderLedger;
      repository: SenderDigests;
      mailer: Mailer;
      links: SignedLinks;
      /** Message-IDs that name their delivery, for bounce reports to find it. */
      messageIds: DeliveryMessageIds;
      mime: DigestMimeSettings;
      logger: Logger;
      /** Every pause, poll and lease renewal waits on it, so tests move time instead of waiting. */
      clock: WaitingClock;
      options: DigestSenderOptions;
      /** Counts each delivery's outcome, and 5xx refusals as hard bounces, per newsletter. */
      metrics?: DeliveryMetrics;
      /** This process's beat in `senders`: others take over its claims within seconds if it dies. */
      registry?: SenderRegistry;
    },
  ) {
    this.o = { leaseSeconds: 120, pollIntervalMs: 2000, outagePauseMs: 500, outagePauseMaxMs: 30_000, verp: false, ...deps.options };
    this.outagePauseMs = this.o.outagePauseMs;
    this.metrics = deps.metrics ?? noMetrics;
    this.limiter = new HourlyRateLimit(this.o.ratePerHour, deps.clock);
    this.recorder = new SentRecorder({
      ledger: deps.ledger,
      clock: deps.clock,
      onRetry: (err) => deps.logger.warn({ err: String(err) }, 'recording sent deliveries failed; retrying'),
      gatherUpTo: Math.ceil(this.o.concurrency / 2),
      lingerMs: 5,
    });
  }

  start(): void {
    this.running ??= this.loop();
  }

  /** New work is waiting (a digest was just composed here): stop idling. */
  wake(): void {
    for (const sleeper of [...this.sleepers]) sleeper.abort();
  }

  /** Takes no new deliveries from now on; the sends in flight go on (the first step of stopping). */
  stopClaiming(): void {
    this.stopping = true;
    this.wake();
  }

  /** Takes no new deliveries, lets in-flight sends finish and be recorded, gives unsent claims back. */
  async stop(): Promise<void> {
    this.stopClaiming();
    await this.running;
  }

  private async loop(): Promise<void> {
    const renewal = new AbortController();
    const renewing = this.renewLeasesUntil(renewal.signal);
    const beating = this.deps.registry?.run(renewal.signal);
    try {
      while (!this.stopping) {
        const pause = this.pausedUntil - this.now();
        if (pause > 0) {
          await this.sleep(pause);
          continue;
        }
        let worked = false;
        try {
          worked = await this.drain();
        } catch (err) {
          this.deps.logger.error({ err }, 'digest sending failed; retrying shortly');
        }
        if (!worked && !this.stopping) {
          await this.deps.ledger.completeFinishedDigests().catch(() => {});
          await this.sleep(this.o.pollIntervalMs);
        }
      }
    } finally {
      renewal.abort();
      await renewing;
      await beating;
      // Claims were given back (drain), so nothing of ours is left to take over.
      await this.deps.registry?.retire();
    }
  }

  /** Renews held claims every third of a lease, so one missed renewal does not lose them. */
  private async renewLeasesUntil(stopped: AbortSignal): Promise<void> {
    const every = (this.o.leaseSeconds * 1000) / 3;
    for (;;) {
      await this.deps.clock.sleep(every, stopped);
      if (stopped.aborted) return;
      await this.renewLeases();
    }
  }

  /**
   * Runs lanes until nothing is claimable; true when something was claimed. Returns only once
   * every lane has ended, failed ones included: a lane whose database call threw is logged and
   * ends after that message, and no new drain starts beside lanes still running, or more than
   * SEND_CONCURRENCY messages would be in flight and stop() would not wait for them.
   */
  private async drain(): Promise<boolean> {
    let claimedAny = false;
    const lanes = this.probing ? 1 : this.o.concurrency;
    const laneFailed = (err: unknown) => this.deps.logger.error({ err }, 'a sending lane failed; the others go on');
    try {
      await Promise.all(Array.from({ length: lanes }, () => this.lane(() => (claimedAny = true)).catch(laneFailed)));
      while (this.stalledSends.size) await Promise.all([...this.stalledSends].map((s) => s.catch(laneFailed)));
    } finally {
      // Stopping or pausing leaves claims unsent: give them back now rather than at lease expiry.
      const unsent = this.queue.splice(0);
      if (unsent.length) await this.deps.ledger.release(unsent);
    }
    return claimedAny;
  }

  private async lane(onClaim: () => void): Promise<void> {
    // The lane's messages are written here one after the other; a stalled one keeps it (below).
    let scratch = new MessageScratch();
    for (;;) {
      if (this.stopping || this.pausedUntil > this.now() || !this.mayClaimAndSend()) return;
      const delivery = this.queue.shift();
      if (!delivery) {
        if (!(await this.refill())) return;
        onClaim();
        continue;
      }
      const wait = this.limiter.take();
      if (wait > 0) {
        this.queue.unshift(delivery);
        await this.sleep(wait);
        continue;
      }
      const outcome = await this.send(delivery, scratch);
      if (outcome === 'stalled') scratch = new MessageScratch();
      // One message got through while probing (accepted, not merely stalled): the server is back,
      // resume all lanes.
      if (outcome === true && this.probing) {
        this.probing = false;
        this.outagePauseMs = this.o.outagePauseMs;
        this.deps.logger.info('SMTP server answers again; sending resumes');
        return;
      }
    }
  }

  /**
   * Resolves with the delivery's outcome, or with 'stalled' as soon as the mail layer says the
   * server is slow past its usual pace on it and a spare connection took its place: the lane then
   * moves on while the send waits for its answer (the pool bounds such sends by
   * SMTP_SPARE_CONNECTIONS), so a server silent on some messages does not hold the lanes either.
   */
  private send(delivery: ClaimedDelivery, scratch: MessageScratch): Promise<boolean | 'stalled'> {
    this.inFlight.add(delivery);
    return new Promise((resolve, reject) => {
      const sending = this.deliver(delivery, scratch, () => {
        this.stalledSends.add(sending);
        resolve('stalled');
      }).finally(() => {
        this.inFlight.delete(delivery);
        this.stalledSends.delete(sending);
      });
      sending.then(resolve, reject);
    });
  }

  /**
   * Registered and beating (or no registry: leases only). A sender whose beat has not reached the
   * database for a while stops starting sends: others may soon think it dead and take its rows.
   */
  private mayClaimAndSend(): boolean {
    return this.deps.registry?.mayClaimAndSend() ?? true;
  }

  /**
   * One claim at a time per process; lanes that find the queue empty share it. At most one row
   * per lane is claimed ahead (SEND_BATCH_SIZE caps it further), so a crash strands few rows.
   */
  private refill(): Promise<boolean> {
    const size = this.probing ? 1 : Math.min(this.o.batchSize, this.o.concurrency * CLAIM_AHEAD_PER_LANE);
    this.refilling ??= this.deps.ledger
      .claim(size, this.o.leaseSeconds, (skipped) => this.countSkipped(skipped), this.deps.registry?.identity())
      .then((rows) => {
        this.queue.push(...rows);
        return rows.length > 0;
      })
      .finally(() => (this.refilling = undefined));
    return this.refilling;
  }

  /** Skipped at claim: counted per edition's newsletter (the edition is prepared, cached, anyway). */
  private countSkipped(skipped: DeliveryKey[]): void {
    const perDigest = new Map<number, number>();
    for (const k of skipped) perDigest.set(k.digestId, (perDigest.get(k.digestId) ?? 0) + 1);
    for (const [digestId, n] of perDigest) {
      this.preparedFor(digestId).then(
        (edition) => this.metrics.delivery(edition.slug, 'skipped', n),
        () => {},
      );
    }
  }

  /** Sends one delivery and settles it in the ledger; true when the SMTP server accepted it. */
  private async deliver(d: ClaimedDelivery, scratch: MessageScratch, onStall: () => void): Promise<boolean> {
    const { ledger, links, mailer, logger } = this.deps;
    const edition = await this.preparedFor(d.digestId);
    const recipient = digestRecipient(d.email, d.subscriberId, edition.newsletterId, links);
    const message = edition.mime.fill({ ...recipient, messageIdLocalPart: this.deps.messageIds.localPart(d) }, scratch);
    try {
      await mailer.sendRaw({ to: d.email, raw: message.raw, bounceTag: this.o.verp ? this.deps.messageIds.bounceTag(d) : undefined, onStall });
    } catch (err) {
      const reason = describe(err);
      const kind = failureKind(err);
      if (kind === 'permanent') {
        await ledger.markPermanentFailure(d, reason, this.o.hardBounceLimit);
        this.metrics.delivery(edition.slug, 'failed');
        this.metrics.bounce(edition.slug, 'hard');
      } else if (kind === 'transient') {
        await this.retryLater(d, edition.slug, reason);
      } else {
        // The server dropped or refused us: an outage. The attempt is given back unless this
        // message's data had reached the server (then it may be what the server chokes on, and
        // counting it is what stops such a message from being retried forever).
        if (dataSent(err)) await this.retryLater(d, edition.slug, reason);
        else {
          this.limiter.giveBack();
          await ledger.release([d], reason);
        }
        this.enterOutage(reason);
      }
      logger.debug({ digestId: d.digestId, subscriberId: d.subscriberId, code: codeOf(err) }, 'delivery failed');
      return false;
    }
    await this.recorder.record(d, message.messageId);
    this.metrics.delivery(edition.slug, 'sent');
    return true;
  }

  /** A counted attempt: retried after a delay doubling per attempt, or failed once they are spent. */
  private async retryLater(d: ClaimedDelivery, slug: string, reason: string): Promise<void> {
    const delay = Math.min(3600, this.o.retryDelaySeconds * 2 ** Math.max(0, d.attempts - 1));
    await this.deps.ledger.markTransientFailure(d, reason, delay, this.o.maxAttempts);
    // The same rule as the statement: attempts were counted at claim.
    this.metrics.delivery(slug, d.attempts >= this.o.maxAttempts ? 'failed' : 'retry');
  }

  private enterOutage(reason: string): void {
    if (this.pausedUntil > this.now()) return; // other lanes failing in the same outage
    if (this.probing) this.outagePauseMs = Math.min(this.outagePauseMs * 2, this.o.outagePauseMaxMs);
    this.probing = true;
    this.pausedUntil = this.now() + this.outagePauseMs;
    this.deps.logger.warn({ reason, pauseMs: this.outagePauseMs }, 'SMTP server unreachable; sending paused');
  }

  /** Any edition, digest or alert: prepared once with its newsletter's sender, List-Id and links. */
  private preparedFor(digestId: number): Promise<PreparedEdition> {
    let prepared = this.prepared.get(digestId);
    if (!prepared) {
      if (this.prepared.size >= 16) this.prepared.clear();
      prepared = this.deps.repository.byId(digestId).then((digest) => {
        if (!digest) throw new Error(`digest ${digestId} not found`);
        return {
          newsletterId: digest.newsletterId,
          slug: digest.newsletter.slug,
          mime: new PreparedDigestMime(newsletterMimeSettings(this.deps.mime, digest.newsletter, digest.id), digest),
        };
      });
      prepared.catch(() => this.prepared.delete(digestId));
      this.prepared.set(digestId, prepared);
    }
    return prepared;
  }

  private async renewLeases(): Promise<void> {
    const held: DeliveryKey[] = [...this.queue, ...this.inFlight, ...this.recorder.unrecorded()];
    await this.deps.ledger.renewLeases(held, this.o.leaseSeconds).catch((err) => {
      this.deps.logger.warn({ err: String(err) }, 'renewing delivery leases failed');
    });
  }

  private now(): number {
    return this.deps.clock.now().getTime();
  }

  private async sleep(ms: number): Promise<void> {
    if (this.stopping) return;
    const sleeper = new AbortController();
    this.sleepers.add(sleeper);
    try {
      await this.deps.clock.sleep(ms, sleeper.signal);
    } finally {
      this.sleepers.delete(sleeper);
    }
  }
}

/** An edition's message made once, and the newsletter its scoped links name. */
interface PreparedEdition {
  newsletterId: number;
  /** Its newsletter's slug, the `newsletter` label of its metrics. */
  slug: string;
  mime: PreparedDigestMime;
}

function dataSent(err: unknown): boolean {
  return err instanceof SmtpFailure && err.dataSent;
}

function codeOf(err: unknown): string | number | undefined {
  const e = err as { responseCode?: number; code?: string };
  return e?.responseCode ?? e?.code;
}

/** What goes into last_error: the SMTP reply or error code, never the recipient's address. */
function describe(err: unknown): string {
  const e = err as { responseCode?: number; response?: string; code?: string; message?: string };
  if (typeof e?.responseCode === 'number') return `${e.responseCode} ${e.response ?? ''}`.trim().slice(0, 500);
  return `${e?.code ?? 'ERROR'} ${e?.message ?? String(err)}`.slice(0, 500);
}
