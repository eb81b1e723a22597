import { DigestSender, type SenderLedger } from '../../src/digests/digest-sender';
import type { ClaimedDelivery, DeliveryKey } from '../../src/digests/delivery-ledger';
import type { StoredDigest } from '../../src/digests/digest-repository';
import type { DeliveryStatus } from '../../src/generated/prisma/enums';
import type { Mailer, RawMail } from '../../src/mail/mailer';
import { Placeholders } from '../../src/mail/personalize';
import { createLogger } from '../../src/shared/logger';
import { SignedLinks } from '../../src/shared/signed-links';
import { DeliveryMessageIds } from '../../src/digests/delivery-message-ids';
import { ManualClock, settle } from '../helpers/manual-clock';

interface Row extends ClaimedDelivery {
  status: DeliveryStatus;
}

/** The ledger in memory: claims in subscriber order, and what each claim asked for. */
class MemoryLedger implements SenderLedger {
  readonly rows: Row[];
  readonly claimLimits: number[] = [];
  readonly renewed: number[][] = [];

  constructor(count: number) {
    this.rows = Array.from({ length: count }, (_, i) => ({
      digestId: 1,
      subscriberId: i + 1,
      email: `reader${i + 1}@example.test`,
      attempts: 0,
      status: 'pending' as const,
    }));
  }

  async claim(limit: number): Promise<ClaimedDelivery[]> {
    this.claimLimits.push(limit);
    const taken = this.rows.filter((r) => r.status === 'pending').slice(0, limit);
    for (const r of taken) Object.assign(r, { status: 'sending', attempts: r.attempts + 1 });
    return taken.map(({ digestId, subscriberId, email, attempts }) => ({ digestId, subscriberId, email, attempts }));
  }
  async renewLeases(keys: DeliveryKey[]): Promise<void> {
    this.renewed.push(keys.map((k) => k.subscriberId).sort((a, b) => a - b));
  }
  async markSent(sent: DeliveryKey[]): Promise<void> {
    for (const k of sent) this.row(k).status = 'sent';
  }
  async markTransientFailure(k: DeliveryKey): Promise<void> {
    this.row(k).status = 'failed';
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
  private row(k: DeliveryKey): Row {
    return this.rows.find((r) => r.digestId === k.digestId && r.subscriberId === k.subscriberId)!;
  }
}

/** An SMTP peer that is either unreachable (no reply at all, like a refused connection) or accepts. */
class SwitchableMailer implements Mailer {
  reachable = false;
  /** While set, sends hang until it resolves (a slow server). */
  hold: Promise<void> | undefined;
  readonly tried: string[] = [];
  readonly accepted: string[] = [];
  async send(): Promise<never> {
    throw new Error('not used by the digest sender');
  }
  async sendRaw(mail: RawMail): Promise<void> {
    this.tried.push(mail.to);
    await this.hold;
    if (!this.reachable) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:2525'), { code: 'ECONNECTION' });
    this.accepted.push(mail.to);
  }
  async close(): Promise<void> {}
}

function setUp(opts: { recipients: number; outagePauseMs?: number; outagePauseMaxMs?: number; ratePerHour?: number }) {
  const clock = new ManualClock();
  const ledger = new MemoryLedger(opts.recipients);
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
    logger: createLogger('silent'),
    clock,
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

describe('DigestSender during an SMTP outage', () => {
  test('when the server stops answering, then sending pauses with every claim given back uncounted, and after the pause one probe is sent', async () => {
    const { clock, ledger, mailer, sender } = setUp({ recipients: 20, outagePauseMs: 500, outagePauseMaxMs: 30_000 });
    sender.start();
    await settle();
    // The lanes that were already sending fail; nothing more is tried, nothing is counted or failed.
    const firstFailures = mailer.tried.length;
    expect(firstFailures).toBeGreaterThan(0);
    expect(firstFailures).toBeLessThanOrEqual(4);
    expect(ledger.count('pending')).toBe(20);
    expect(ledger.rows.every((r) => r.attempts === 0)).toBe(true);

    await clock.advance(499);
    expect(mailer.tried).toHaveLength(firstFailures);

    await clock.advance(1);
    expect(mailer.tried).toHaveLength(firstFailures + 1);
    expect(ledger.claimLimits.at(-1)).toBe(1);
    expect(ledger.count('pending')).toBe(20);
    await sender.stop();
  });

  test('when a probe fails, then the pause doubles up to its maximum before the next probe', async () => {
    const { clock, mailer, sender } = setUp({ recipients: 5, outagePauseMs: 500, outagePauseMaxMs: 1500 });
    sender.start();
    await settle();
    const probesAfter = async (ms: number) => {
      const before = mailer.tried.length;
      await clock.advance(ms);
      return mailer.tried.length - before;
    };
    expect(await probesAfter(500)).toBe(1); // first pause: 500 ms
    expect(await probesAfter(999)).toBe(0); // then 1000 ms
    expect(await probesAfter(1)).toBe(1);
    expect(await probesAfter(1499)).toBe(0); // then 2000, capped at 1500
    expect(await probesAfter(1)).toBe(1);
    expect(await probesAfter(1499)).toBe(0); // stays at the maximum
    expect(await probesAfter(1)).toBe(1);
    await sender.stop();
  });

  test('when a probe gets through, then all lanes resume at full batches and everyone is sent exactly once', async () => {
    const { clock, ledger, mailer, sender } = setUp({ recipients: 30, outagePauseMs: 500, outagePauseMaxMs: 30_000 });
    sender.start();
    await settle();
    await clock.advance(500); // one failed probe; the next comes 1000 ms later
    mailer.reachable = true;
    const claimsBefore = ledger.claimLimits.length;
    await clock.advance(1000);
    await clock.advance(100); // the recorder's short linger before writing 'sent' marks
    expect(ledger.count('sent')).toBe(30);
    expect(new Set(mailer.accepted).size).toBe(30);
    expect(mailer.accepted).toHaveLength(30);
    // The first claim after the pause is the probe (1), the next ones full batches again.
    expect(ledger.claimLimits.slice(claimsBefore, claimsBefore + 2)).toEqual([1, 10]);
    expect(ledger.rows.every((r) => r.attempts === 1)).toBe(true);
    await sender.stop();
  });
});

describe('DigestSender pacing and leases', () => {
  test('when the hourly limit is used up, then the next send waits for its token on the clock', async () => {
    const { clock, ledger, mailer, sender } = setUp({ recipients: 3, ratePerHour: 60 });
    mailer.reachable = true;
    sender.start();
    await clock.advance(10); // the recorder's linger
    expect(mailer.accepted).toHaveLength(1); // a bucket of one minute's worth: one
    await clock.advance(59_000);
    expect(mailer.accepted).toHaveLength(1);
    await clock.advance(1_010);
    expect(mailer.accepted).toHaveLength(2);
    await clock.advance(60_010);
    expect(mailer.accepted).toHaveLength(3);
    expect(ledger.count('sent')).toBe(3);
    await sender.stop();
  });

  test('when claims are held longer than a third of their lease, then their leases are renewed', async () => {
    const { clock, ledger, mailer, sender } = setUp({ recipients: 6 });
    mailer.reachable = true;
    let release!: () => void;
    mailer.hold = new Promise((resolve) => (release = resolve));
    sender.start();
    await clock.advance(39_999);
    expect(ledger.renewed).toEqual([]);
    await clock.advance(1); // the default lease is 120 s
    // Four in flight (one per lane), two waiting in the queue: all six are held.
    expect(ledger.renewed).toEqual([[1, 2, 3, 4, 5, 6]]);
    release();
    await clock.advance(10);
    expect(ledger.count('sent')).toBe(6);
    await sender.stop();
  });
});
