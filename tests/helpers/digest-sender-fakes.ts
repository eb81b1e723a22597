import type { SenderRegistry } from '../../src/digests/sender-registry';
import { DigestSender, type SenderLedger } from '../../src/digests/digest-sender';
import type { ClaimedDelivery, DeliveryKey } from '../../src/digests/delivery-ledger';
import type { StoredDigest } from '../../src/digests/digest-repository';
import type { DeliveryStatus } from '../../src/generated/prisma/enums';
import type { Mailer, RawMail } from '../../src/mail/mailer';
import { Placeholders } from '../../src/mail/personalize';
import { createLogger, type Logger } from '../../src/shared/logger';
import { SignedLinks } from '../../src/shared/signed-links';
import { DeliveryMessageIds } from '../../src/digests/delivery-message-ids';
import { ManualClock } from './manual-clock';

/** Fakes for the DigestSender's unit tests: the ledger in memory, an SMTP peer in memory. */

interface Row extends ClaimedDelivery {
  status: DeliveryStatus;
  /** Like next_attempt_at: a pending row is claimable from then on. */
  dueAt: number;
  lastError?: string;
}

/** The ledger in memory: claims in subscriber order, and what each claim asked for. */
export class MemoryLedger implements SenderLedger {
  readonly rows: Row[];
  readonly claimLimits: number[] = [];
  readonly renewed: number[][] = [];

  constructor(
    count: number,
    private readonly clock: ManualClock,
  ) {
    this.rows = Array.from({ length: count }, (_, i) => ({
      digestId: 1,
      subscriberId: i + 1,
      email: `reader${i + 1}@example.test`,
      attempts: 0,
      status: 'pending' as const,
      dueAt: 0,
    }));
  }

  async claim(limit: number): Promise<ClaimedDelivery[]> {
    this.claimLimits.push(limit);
    const now = this.clock.now().getTime();
    const taken = this.rows.filter((r) => r.status === 'pending' && r.dueAt <= now).slice(0, limit);
    for (const r of taken) Object.assign(r, { status: 'sending', attempts: r.attempts + 1 });
    return taken.map(({ digestId, subscriberId, email, attempts }) => ({ digestId, subscriberId, email, attempts }));
  }
  async renewLeases(keys: DeliveryKey[]): Promise<void> {
    this.renewed.push(keys.map((k) => k.subscriberId).sort((a, b) => a - b));
  }
  async markSent(sent: DeliveryKey[]): Promise<void> {
    for (const k of sent) this.row(k).status = 'sent';
  }
  /** The same rule as the SQL statement: failed once the attempts (counted at claim) are spent. */
  async markTransientFailure(k: DeliveryKey, error: string, delaySeconds: number, maxAttempts: number): Promise<void> {
    const r = this.row(k);
    Object.assign(r, { status: r.attempts >= maxAttempts ? 'failed' : 'pending', dueAt: this.clock.now().getTime() + delaySeconds * 1000, lastError: error });
  }
  async markPermanentFailure(k: DeliveryKey): Promise<void> {
    this.row(k).status = 'failed';
  }
  async release(keys: DeliveryKey[]): Promise<void> {
    for (const k of keys) {
      const r = this.row(k);
      if (r.status === 'sending') Object.assign(r, { status: 'pending', attempts: Math.max(0, r.attempts - 1) });
    }
  }
  async completeFinishedDigests(): Promise<void> {}

  count(status: DeliveryStatus): number {
    return this.rows.filter((r) => r.status === status).length;
  }
  row(k: DeliveryKey | number): Row {
    const id = typeof k === 'number' ? k : k.subscriberId;
    return this.rows.find((r) => r.subscriberId === id)!;
  }
}

/**
 * An SMTP peer that is either unreachable (no reply at all, like a refused connection) or accepts;
 * `answer` may decide per recipient instead (throw to refuse, or hang). Counts sends in flight.
 */
export class SwitchableMailer implements Mailer {
  reachable = false;
  /** While set, sends hang until it resolves (a slow server). */
  hold: Promise<void> | undefined;
  /**
   * When set, decides each send: resolve to accept, reject with an SmtpFailure to refuse; may call
   * the mail's onStall first, as the raw pool does when a spare connection takes its place.
   */
  answer: ((to: string, mail: RawMail) => Promise<void>) | undefined;
  readonly tried: string[] = [];
  readonly accepted: string[] = [];
  inFlight = 0;
  maxInFlight = 0;
  async send(): Promise<never> {
    throw new Error('not used by the digest sender');
  }
  async sendRaw(mail: RawMail): Promise<void> {
    this.tried.push(mail.to);
    this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
    try {
      if (this.answer) await this.answer(mail.to, mail);
      else {
        await this.hold;
        if (!this.reachable) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:2525'), { code: 'ECONNECTION' });
      }
      this.accepted.push(mail.to);
    } finally {
      this.inFlight--;
    }
  }
  async close(): Promise<void> {}
}

export function setUp(opts: {
  recipients: number;
  outagePauseMs?: number;
  outagePauseMaxMs?: number;
  ratePerHour?: number;
  ledger?: (clock: ManualClock) => MemoryLedger;
  logger?: Logger;
  registry?: Pick<SenderRegistry, 'mayClaimAndSend' | 'identity' | 'run' | 'retire'>;
}) {
  const clock = new ManualClock();
  const ledger = opts.ledger?.(clock) ?? new MemoryLedger(opts.recipients, clock);
  const mailer = new SwitchableMailer();
  const placeholders = Placeholders.create();
  const digest = {
    id: 1,
    newsletterId: 1,
    newsletter: { slug: 'daily', name: 'Daily', fromName: null, replyTo: null },
    subject: 'Today',
    text: placeholders.seal(`Stories\n${placeholders.token('unsubscribeUrl')}\n`),
    html: placeholders.seal(`<p>Stories <a href="${placeholders.token('unsubscribeUrl')}">unsubscribe</a></p>`),
  } as StoredDigest;
  const sender = new DigestSender({
    ledger,
    repository: { byId: async () => digest },
    mailer,
    links: new SignedLinks('test-secret-key-0123456789abcdef0123456789', 'https://news.test'),
    messageIds: new DeliveryMessageIds('test-secret-key-0123456789abcdef0123456789'),
    mime: { from: 'news@news.test', listId: 'news.test' },
    logger: opts.logger ?? createLogger('silent'),
    clock,
    registry: opts.registry as SenderRegistry | undefined,
    options: {
      concurrency: 4,
      batchSize: 10,
      maxAttempts: 3,
      hardBounceLimit: 2,
      ratePerHour: opts.ratePerHour ?? 0,
      retryDelaySeconds: 60,
      pollIntervalMs: 2000,
      outagePauseMs: opts.outagePauseMs ?? 500,
      outagePauseMaxMs: opts.outagePauseMaxMs ?? 30_000,
    },
  });
  return { clock, ledger, mailer, sender };
}
