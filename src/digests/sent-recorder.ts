import type { WaitingClock } from '../shared/clock';
import type { DeliveryKey, DeliveryLedger } from './delivery-ledger';

interface Waiting extends DeliveryKey {
  messageId: string;
  done: (err?: unknown) => void;
}

/**
 * Group commit of 'sent' marks: while one UPDATE is in flight, the next accepted messages gather,
 * then go in one statement. Callers wait for their own mark to be committed before taking the next
 * delivery, so at any moment at most SEND_CONCURRENCY messages (plus the stalled ones a spare
 * connection carries) are accepted-but-unrecorded or in flight: that is the most a crash can
 * duplicate.
 *
 * Each statement costs a round trip and a socket write on both sides, which on a busy machine
 * showed in the send profile as much as composing a message: so a write that would carry only a
 * few marks lingers a moment (`lingerMs`) for more, unless half the lanes (`gatherUpTo`) already
 * wait. Lanes waiting here do not slow sending down while the others keep the SMTP pool busy.
 */
export class SentRecorder {
  private waiting: Waiting[] = [];
  private flushing = false;
  private current: Waiting[] = [];
  /** Ends the current linger early, once enough marks wait. */
  private gathered: AbortController | undefined;

  constructor(
    private readonly deps: {
      ledger: Pick<DeliveryLedger, 'markSent'>;
      clock: WaitingClock;
      onRetry: (err: unknown) => void;
      retryDelayMs?: number;
      /** Marks worth one statement without waiting (e.g. half of SEND_CONCURRENCY); 1 = never wait. */
      gatherUpTo?: number;
      lingerMs?: number;
    },
  ) {}

  record(key: DeliveryKey, messageId: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ ...key, messageId, done: (err) => (err ? reject(err) : resolve()) });
      if (this.gathered && this.waiting.length >= (this.deps.gatherUpTo ?? 1)) this.gathered.abort();
      if (!this.flushing) void this.flush();
    });
  }

  /** Keys accepted by SMTP whose mark is not committed yet (their leases must stay alive). */
  unrecorded(): DeliveryKey[] {
    return [...this.current, ...this.waiting].map(({ digestId, subscriberId }) => ({ digestId, subscriberId }));
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.waiting.length) {
        await this.gather();
        const batch = this.waiting.splice(0, 500);
        this.current = batch;
        let error: unknown;
        // A database hiccup must not lose the fact that these were sent (they would be sent again
        // once their lease expired), so the write is retried for a while before giving up.
        for (let attempt = 1; attempt <= 30; attempt++) {
          try {
            await this.deps.ledger.markSent(batch);
            error = undefined;
            break;
          } catch (err) {
            error = err;
            this.deps.onRetry(err);
            await this.deps.clock.sleep(this.deps.retryDelayMs ?? 1000);
          }
        }
        this.current = [];
        batch.forEach((w) => w.done(error));
      }
    } finally {
      this.flushing = false;
    }
  }

  /** Waits up to lingerMs for more marks, unless enough are already there. */
  private async gather(): Promise<void> {
    const { gatherUpTo = 1, lingerMs = 0 } = this.deps;
    if (this.waiting.length >= gatherUpTo || lingerMs <= 0) return;
    this.gathered = new AbortController();
    try {
      await this.deps.clock.sleep(lingerMs, this.gathered.signal);
    } finally {
      this.gathered = undefined;
    }
  }
}
