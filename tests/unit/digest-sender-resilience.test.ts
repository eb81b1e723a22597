import { SmtpFailure } from '../../src/mail/mailer';
import { MemoryLedger, setUp } from '../helpers/digest-sender-fakes';
import { settle } from '../helpers/manual-clock';

/** What the raw pool rejects with when the server took a message's data and never answered. */
const noAnswer = () => new SmtpFailure('transient', 'no answer to the message within 30000 ms', { code: 'ETIMEDOUT', dataSent: true });
/** A connection dropped after the message's data went out: no verdict, an outage, but an attempt. */
const droppedAfterData = () => SmtpFailure.unreachable(new Error('Connection closed unexpectedly'), 'ECONNECTION', { dataSent: true });

describe('DigestSender when the server is silent on one message', () => {
  test('when one message gets no answer, then the other lanes send everyone else meanwhile, and it is retried later as a counted attempt', async () => {
    const { clock, ledger, mailer, sender } = setUp({ recipients: 20 });
    let timeOut!: () => void;
    const silent = new Promise<void>((_, reject) => (timeOut = () => reject(noAnswer())));
    silent.catch(() => {});
    mailer.answer = async (to) => (to === 'reader1@example.test' && ledger.row(1).attempts === 1 ? silent : undefined);
    sender.start();
    await clock.advance(50);
    // Reader 1's message is still waiting for its answer; everyone else went out on the other lanes.
    expect(ledger.row(1).status).toBe('sending');
    expect(ledger.count('sent')).toBe(19);
    timeOut();
    await clock.advance(10);
    // A transient failure of that message only: no outage pause, no probe claim of one.
    expect(ledger.row(1)).toMatchObject({ status: 'pending', attempts: 1, lastError: expect.stringMatching(/no answer/) });
    expect(ledger.claimLimits).not.toContain(1);
    await clock.advance(60_000); // SEND_RETRY_DELAY_SECONDS
    await clock.advance(10);
    expect(ledger.row(1)).toMatchObject({ status: 'sent', attempts: 2 });
    expect(mailer.accepted).toHaveLength(20);
    await sender.stop();
  });
});

describe('DigestSender when a message stalls and a spare connection takes its place', () => {
  test('when the mail layer says a message stalled, then its lane sends the others meanwhile, its late answer is recorded, and stop waits for it', async () => {
    const { clock, ledger, mailer, sender } = setUp({ recipients: 30 });
    let answerLate!: () => void;
    const late = new Promise<void>((resolve) => (answerLate = resolve));
    const stalling = new Set(['reader1@example.test', 'reader2@example.test', 'reader3@example.test', 'reader4@example.test']);
    // What each stalled message held when it stalled, and when its answer came at last.
    const atStall: string[] = [];
    const atAnswer: string[] = [];
    mailer.answer = async (to, mail) => {
      if (!stalling.has(to)) return;
      atStall.push(mail.raw.toString('latin1'));
      mail.onStall?.();
      await late;
      atAnswer.push(mail.raw.toString('latin1'));
    };
    sender.start();
    await clock.advance(50);
    // Four stalled messages on four lanes: without moving on, no lane would be left for the rest.
    expect(ledger.count('sent')).toBe(26);
    expect([1, 2, 3, 4].map((id) => ledger.row(id).status)).toEqual(['sending', 'sending', 'sending', 'sending']);
    const stopped = sender.stop();
    let stopReturned = false;
    void stopped.then(() => (stopReturned = true));
    await clock.advance(50);
    expect(stopReturned).toBe(false);
    answerLate();
    await stopped;
    expect(ledger.count('sent')).toBe(30);
    expect(mailer.tried).toHaveLength(30);
    // Its lane filled 26 more messages meanwhile, in memory of its own: the stalled copies are intact.
    expect(atAnswer).toEqual(atStall);
    expect(new Set(atStall).size).toBe(4);
  });
});

describe('DigestSender with a message that never gets a verdict', () => {
  test.each([
    ['times out every time', noAnswer],
    ['drops the connection after its data every time', droppedAfterData],
  ])('when a message %s, then it fails after SEND_MAX_ATTEMPTS and the rest are sent', async (_, failure) => {
    const { clock, ledger, mailer, sender } = setUp({ recipients: 5 });
    mailer.answer = async (to) => {
      if (to === 'reader3@example.test') throw failure();
    };
    sender.start();
    for (let i = 0; i < 20 && ledger.row(3).status !== 'failed'; i++) await clock.advance(10 * 60_000);
    expect(ledger.row(3)).toMatchObject({ status: 'failed', attempts: 3 });
    expect(mailer.tried.filter((to) => to === 'reader3@example.test')).toHaveLength(3);
    expect(ledger.count('sent')).toBe(4);
    await sender.stop();
  });

  test('when the connection is refused (nothing of the message sent), then the attempt is still given back', async () => {
    const { clock, ledger, mailer, sender } = setUp({ recipients: 3 });
    sender.start();
    await clock.advance(10 * 60_000);
    expect(mailer.tried.length).toBeGreaterThan(10);
    expect(ledger.count('pending')).toBe(3);
    expect(ledger.rows.every((r) => r.attempts === 0)).toBe(true);
    await sender.stop();
  });
});

/** A ledger whose write for one delivery's 5xx throws (a database hiccup on that lane). */
class ThrowingLedger extends MemoryLedger {
  override async markPermanentFailure(): Promise<void> {
    throw new Error('connection terminated unexpectedly');
  }
}

describe('DigestSender when a lane fails', () => {
  test('when one lane throws, then the others finish their messages, no new lanes start beside them, and stop waits for them', async () => {
    const errors: string[] = [];
    const logger = { error: (_: unknown, msg: string) => errors.push(msg), warn() {}, info() {}, debug() {} };
    const { clock, ledger, mailer, sender } = setUp({
      recipients: 30,
      ledger: (c) => new ThrowingLedger(30, c),
      logger: logger as never,
    });
    let release!: () => void;
    const slow = new Promise<void>((resolve) => (release = resolve));
    mailer.answer = async (to) => {
      if (to === 'reader1@example.test') throw new SmtpFailure('permanent', '550 no such user', { responseCode: 550 });
      await slow;
    };
    sender.start();
    // Lane 1's ledger write threw; lanes 2-4 hold readers 2-4. Polls come and go: nothing new starts.
    await clock.advance(10_000);
    expect(errors).toContain('a sending lane failed; the others go on');
    expect(mailer.inFlight).toBe(3);
    expect(mailer.maxInFlight).toBeLessThanOrEqual(4);

    let stopped = false;
    const stopping = sender.stop().then(() => (stopped = true));
    await clock.advance(10);
    expect(stopped).toBe(false); // three sends still in flight
    release();
    await clock.advance(10);
    await stopping;
    expect(mailer.inFlight).toBe(0);
    expect(mailer.maxInFlight).toBeLessThanOrEqual(4);
    // The held ones were recorded before stop returned; the unsent claims went back.
    expect(ledger.count('sent')).toBe(3);
    expect(ledger.count('sending')).toBe(1); // reader 1: its lease runs out, another claim settles it
    expect(ledger.count('pending')).toBe(26);
  });

  test('when a lane throws while the others keep sending, then everyone else is sent and in flight never exceeds SEND_CONCURRENCY', async () => {
    const { clock, ledger, mailer, sender } = setUp({ recipients: 40, ledger: (c) => new ThrowingLedger(40, c) });
    let tick!: () => void;
    let gate = new Promise<void>((resolve) => (tick = resolve));
    mailer.answer = async (to) => {
      if (to === 'reader2@example.test') throw new SmtpFailure('permanent', '550 no such user', { responseCode: 550 });
      await gate;
    };
    sender.start();
    for (let i = 0; i < 40; i++) {
      await clock.advance(2_000);
      tick();
      gate = new Promise<void>((resolve) => (tick = resolve));
    }
    tick();
    await clock.advance(2_000);
    expect(ledger.count('sent')).toBe(39);
    expect(mailer.maxInFlight).toBeLessThanOrEqual(4);
    await sender.stop();
  });
});

afterAll(settle);
