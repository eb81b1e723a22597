import { isPermanentFailure, type Mailer } from '../mail/mailer';
import { PreparedDigestMime, type DigestMimeSettings } from '../mail/digest-mime';
import type { SignedLinks } from '../shared/signed-links';
import type { Logger } from '../shared/logger';
import type { ClaimedDelivery, DeliveryKey, DeliveryLedger } from './delivery-ledger';
import type { DigestRepository } from './digest-repository';
import { HourlyRateLimit } from './hourly-rate-limit';
import { SentRecorder } from './sent-recorder';

export interface DigestSenderOptions {
  concurrency: number;
  batchSize: number;
  maxAttempts: number;
  hardBounceLimit: number;
  ratePerHour: number;
  /** First delay after a 4xx answer; doubles with each attempt (capped at an hour). */
  retryDelaySeconds: number;
  /** How long a claim is ours; renewed while held, so it only lapses when this process dies. */
  leaseSeconds?: number;
  /** How often an idle sender looks for work another instance composed. */
  pollIntervalMs?: number;
  /** Pause after the SMTP server stops answering; doubles per failed probe up to the maximum. */
  outagePauseMs?: number;
  outagePauseMaxMs?: number;
}

/**
 * The sending loop: claim a batch from the ledger, send with bounded concurrency, mark each
 * delivery right after the SMTP server accepts it. Any number of these may run (processes,
 * instances): the ledger's SKIP LOCKED claims keep them apart.
 *
 * SMTP outage (connection refused, timeouts: no SMTP reply at all): the failing delivery and the
 * unsent claims go back to the ledger uncounted, the loop pauses, then probes with one message at a
 * time and resumes at full speed once one gets through.
 */
export class DigestSender {
  private readonly o: Required<DigestSenderOptions>;
  private readonly limiter: HourlyRateLimit;
  private readonly recorder: SentRecorder;
  private readonly prepared = new Map<number, Promise<PreparedDigestMime>>();
  private queue: ClaimedDelivery[] = [];
  private readonly inFlight = new Set<ClaimedDelivery>();
  private refilling: Promise<boolean> | undefined;
  private stopping = false;
  private running: Promise<void> | undefined;
  private readonly sleepers = new Set<() => void>();
  private pausedUntil = 0;
  private probing = false;
  private outagePauseMs: number;

  constructor(
    private readonly deps: {
      ledger: DeliveryLedger;
      repository: DigestRepository;
      mailer: Mailer;
      links: SignedLinks;
      mime: DigestMimeSettings;
      logger: Logger;
      options: DigestSenderOptions;
    },
  ) {
    this.o = { leaseSeconds: 120, pollIntervalMs: 2000, outagePauseMs: 500, outagePauseMaxMs: 30_000, ...deps.options };
    this.outagePauseMs = this.o.outagePauseMs;
    this.limiter = new HourlyRateLimit(this.o.ratePerHour);
    this.recorder = new SentRecorder({
      ledger: deps.ledger,
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
    for (const wake of [...this.sleepers]) wake();
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
    const renewal = setInterval(() => void this.renewLeases(), (this.o.leaseSeconds * 1000) / 3);
    try {
      while (!this.stopping) {
        const pause = this.pausedUntil - Date.now();
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
      clearInterval(renewal);
    }
  }

  /** Runs lanes until nothing is claimable; true when something was claimed. */
  private async drain(): Promise<boolean> {
    let claimedAny = false;
    const lanes = this.probing ? 1 : this.o.concurrency;
    try {
      await Promise.all(Array.from({ length: lanes }, () => this.lane(() => (claimedAny = true))));
    } finally {
      // Stopping or pausing leaves claims unsent: give them back now rather than at lease expiry.
      const unsent = this.queue.splice(0);
      if (unsent.length) await this.deps.ledger.release(unsent);
    }
    return claimedAny;
  }

  private async lane(onClaim: () => void): Promise<void> {
    for (;;) {
      if (this.stopping || this.pausedUntil > Date.now()) return;
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
      this.inFlight.add(delivery);
      try {
        const ok = await this.deliver(delivery);
        // One message got through while probing: the server is back, resume all lanes.
        if (ok && this.probing) {
          this.probing = false;
          this.outagePauseMs = this.o.outagePauseMs;
          this.deps.logger.info('SMTP server answers again; sending resumes');
          return;
        }
      } finally {
        this.inFlight.delete(delivery);
      }
    }
  }

  /** One claim at a time per process; lanes that find the queue empty share it. */
  private refill(): Promise<boolean> {
    this.refilling ??= this.deps.ledger
      .claim(this.probing ? 1 : this.o.batchSize, this.o.leaseSeconds)
      .then((rows) => {
        this.queue.push(...rows);
        return rows.length > 0;
      })
      .finally(() => (this.refilling = undefined));
    return this.refilling;
  }

  /** Sends one delivery and settles it in the ledger; true when the SMTP server accepted it. */
  private async deliver(d: ClaimedDelivery): Promise<boolean> {
    const { ledger, links, mailer, logger } = this.deps;
    const message = (await this.preparedFor(d.digestId)).fill({
      to: d.email,
      unsubscribeUrl: links.url('unsubscribe', d.subscriberId),
      preferencesUrl: links.url('preferences', d.subscriberId),
    });
    try {
      await mailer.sendRaw({ to: d.email, raw: message.raw });
    } catch (err) {
      const reason = describe(err);
      if (isPermanentFailure(err)) {
        await ledger.markPermanentFailure(d, reason, this.o.hardBounceLimit);
      } else if (hasSmtpReply(err)) {
        const delay = Math.min(3600, this.o.retryDelaySeconds * 2 ** Math.max(0, d.attempts - 1));
        await ledger.markTransientFailure(d, reason, delay, this.o.maxAttempts);
      } else {
        this.limiter.giveBack();
        await ledger.release([d], reason);
        this.enterOutage(reason);
      }
      logger.debug({ digestId: d.digestId, subscriberId: d.subscriberId, code: codeOf(err) }, 'delivery failed');
      return false;
    }
    await this.recorder.record(d, message.messageId);
    return true;
  }

  private enterOutage(reason: string): void {
    if (this.pausedUntil > Date.now()) return; // other lanes failing in the same outage
    if (this.probing) this.outagePauseMs = Math.min(this.outagePauseMs * 2, this.o.outagePauseMaxMs);
    this.probing = true;
    this.pausedUntil = Date.now() + this.outagePauseMs;
    this.deps.logger.warn({ reason, pauseMs: this.outagePauseMs }, 'SMTP server unreachable; sending paused');
  }

  private preparedFor(digestId: number): Promise<PreparedDigestMime> {
    let prepared = this.prepared.get(digestId);
    if (!prepared) {
      if (this.prepared.size >= 16) this.prepared.clear();
      prepared = this.deps.repository.byId(digestId).then((digest) => {
        if (!digest) throw new Error(`digest ${digestId} not found`);
        return new PreparedDigestMime(this.deps.mime, digest);
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

  private sleep(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.sleepers.add(done);
    });
  }
}

function codeOf(err: unknown): string | number | undefined {
  const e = err as { responseCode?: number; code?: string };
  return e?.responseCode ?? e?.code;
}

function hasSmtpReply(err: unknown): boolean {
  return typeof (err as { responseCode?: unknown })?.responseCode === 'number';
}

/** What goes into last_error: the SMTP reply or error code, never the recipient's address. */
function describe(err: unknown): string {
  const e = err as { responseCode?: number; response?: string; code?: string; message?: string };
  if (typeof e?.responseCode === 'number') return `${e.responseCode} ${e.response ?? ''}`.trim().slice(0, 500);
  return `${e?.code ?? 'ERROR'} ${e?.message ?? String(err)}`.slice(0, 500);
}
