import { setUp } from '../helpers/digest-sender-fakes';
import { settle } from '../helpers/manual-clock';

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
    // The first claim after the pause is the probe (1), the next ones full again: SEND_BATCH_SIZE
    // (10), under the 4 rows per lane a claim may take ahead (16 for 4 lanes).
    expect(ledger.claimLimits.slice(claimsBefore, claimsBefore + 2)).toEqual([1, 10]);
    expect(ledger.rows.every((r) => r.attempts === 1)).toBe(true);
    await sender.stop();
  });
});

describe('DigestSender pacing and leases', () => {
  test('when its beat has not reached the database for a while, then the sender claims and sends nothing until it does', async () => {
    const registry = { alive: false, mayClaimAndSend: () => registry.alive, identity: () => ({ id: 7, staleSeconds: 8 }), run: async () => {}, retire: async () => {} };
    const { clock, ledger, mailer, sender } = setUp({ recipients: 3, registry });
    mailer.reachable = true;
    sender.start();
    await clock.advance(5_000);
    expect(ledger.claimLimits).toEqual([]);
    expect(mailer.tried).toEqual([]);
    registry.alive = true;
    await clock.advance(2_010); // the next poll
    expect(ledger.count('sent')).toBe(3);
    await sender.stop();
  });

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
    // All six claimed at once (under the batch and the rows a claim may take ahead), four of them in
    // flight: every held claim is renewed.
    expect(ledger.renewed).toEqual([[1, 2, 3, 4, 5, 6]]);
    release();
    await clock.advance(10);
    expect(ledger.count('sent')).toBe(6);
    await sender.stop();
  });
});
