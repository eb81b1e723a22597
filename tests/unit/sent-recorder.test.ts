import { SentRecorder } from '../../src/digests/sent-recorder';
import type { DeliveryKey } from '../../src/digests/delivery-ledger';
import { ManualClock, settle } from '../helpers/manual-clock';

type Mark = DeliveryKey & { messageId: string };

/** markSent that records each statement's marks and completes only when the test says so. */
class GatedLedger {
  readonly statements: Mark[][] = [];
  private readonly gates: Array<{ resolve: () => void; reject: (err: unknown) => void }> = [];

  markSent(sent: Mark[]): Promise<void> {
    this.statements.push(sent.map(({ digestId, subscriberId, messageId }) => ({ digestId, subscriberId, messageId })));
    return new Promise((resolve, reject) => this.gates.push({ resolve, reject }));
  }

  /** Completes the oldest statement still open. */
  async commit(): Promise<void> {
    this.gates.shift()!.resolve();
    await settle();
  }

  async fail(err: unknown): Promise<void> {
    this.gates.shift()!.reject(err);
    await settle();
  }
}

const key = (n: number): DeliveryKey => ({ digestId: 1, subscriberId: n });
const ids = (marks: Mark[]) => marks.map((m) => m.subscriberId);

/** A promise's state, without waiting for it. */
function watch(p: Promise<void>): { state: 'pending' | 'done' | 'failed'; error?: unknown } {
  const w: { state: 'pending' | 'done' | 'failed'; error?: unknown } = { state: 'pending' };
  p.then(
    () => (w.state = 'done'),
    (error) => Object.assign(w, { state: 'failed', error }),
  );
  return w;
}

describe('SentRecorder', () => {
  test('when marks arrive while a write is in flight, then they go together in the next statement, and each caller returns once its own mark is committed', async () => {
    const ledger = new GatedLedger();
    const recorder = new SentRecorder({ ledger, clock: new ManualClock(), onRetry: () => {} });
    const first = watch(recorder.record(key(1), '<m1>'));
    await settle();
    const later = [2, 3, 4].map((n) => watch(recorder.record(key(n), `<m${n}>`)));
    await settle();
    expect(ledger.statements.map(ids)).toEqual([[1]]);
    expect(recorder.unrecorded().map((k) => k.subscriberId)).toEqual([1, 2, 3, 4]);

    await ledger.commit();
    expect(first.state).toBe('done');
    expect(later.map((w) => w.state)).toEqual(['pending', 'pending', 'pending']);
    expect(ledger.statements.map(ids)).toEqual([[1], [2, 3, 4]]);
    expect(ledger.statements[1]![0]).toEqual({ digestId: 1, subscriberId: 2, messageId: '<m2>' });

    await ledger.commit();
    expect(later.map((w) => w.state)).toEqual(['done', 'done', 'done']);
    expect(recorder.unrecorded()).toEqual([]);
  });

  test('when fewer marks wait than gatherUpTo, then the write lingers for more until lingerMs has passed', async () => {
    const clock = new ManualClock();
    const ledger = new GatedLedger();
    const recorder = new SentRecorder({ ledger, clock, onRetry: () => {}, gatherUpTo: 3, lingerMs: 5 });
    void recorder.record(key(1), '<m1>');
    void recorder.record(key(2), '<m2>');
    await clock.advance(4);
    expect(ledger.statements).toEqual([]);
    await clock.advance(1);
    expect(ledger.statements.map(ids)).toEqual([[1, 2]]);
    await ledger.commit();
  });

  test('when gatherUpTo marks are waiting, then the write goes at once without lingering', async () => {
    const clock = new ManualClock();
    const ledger = new GatedLedger();
    const recorder = new SentRecorder({ ledger, clock, onRetry: () => {}, gatherUpTo: 3, lingerMs: 5 });
    for (const n of [1, 2, 3]) void recorder.record(key(n), `<m${n}>`);
    await settle();
    expect(ledger.statements.map(ids)).toEqual([[1, 2, 3]]);
    expect(clock.sleeping).toBe(0);
    await ledger.commit();
  });

  test('when a write fails, then it is retried after retryDelayMs with the same marks, and the callers wait for it', async () => {
    const clock = new ManualClock();
    const ledger = new GatedLedger();
    const retries: unknown[] = [];
    const recorder = new SentRecorder({ ledger, clock, onRetry: (err) => retries.push(err), retryDelayMs: 1000 });
    const mark = watch(recorder.record(key(1), '<m1>'));
    await settle();
    await ledger.fail(new Error('connection reset'));
    expect(retries).toHaveLength(1);
    await clock.advance(999);
    expect(ledger.statements).toHaveLength(1);
    expect(recorder.unrecorded()).toEqual([key(1)]);
    await clock.advance(1);
    expect(ledger.statements.map(ids)).toEqual([[1], [1]]);
    expect(mark.state).toBe('pending');
    await ledger.commit();
    expect(mark.state).toBe('done');
  });

  test('when every one of the 30 attempts fails, then the callers get the error', async () => {
    const clock = new ManualClock();
    const ledger = { markSent: () => Promise.reject(new Error('database gone')) };
    let retries = 0;
    const recorder = new SentRecorder({ ledger, clock, onRetry: () => retries++, retryDelayMs: 1000 });
    const mark = watch(recorder.record(key(1), '<m1>'));
    await clock.advance(28_000);
    expect(mark.state).toBe('pending');
    await clock.advance(2_000);
    expect(retries).toBe(30);
    expect(mark).toEqual({ state: 'failed', error: new Error('database gone') });
  });
});
