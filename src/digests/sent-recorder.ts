import type { DeliveryKey, DeliveryLedger } from './delivery-ledger';

interface Waiting extends DeliveryKey {
  messageId: string;
  done: (err?: unknown) => void;
}

/**
 * Group commit of 'sent' marks: while one UPDATE is in flight, the next accepted messages gather,
 * then go in one statement. Callers wait for their own mark to be committed before taking the next
 * delivery, so at any moment at most SEND_CONCURRENCY messages are accepted-but-unrecorded or in
 * flight: that is the most a crash can duplicate.
 */
export class SentRecorder {
  private waiting: Waiting[] = [];
  private flushing = false;
  private current: Waiting[] = [];

  constructor(
    private readonly deps: { ledger: DeliveryLedger; onRetry: (err: unknown) => void; retryDelayMs?: number },
  ) {}

  record(key: DeliveryKey, messageId: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ ...key, messageId, done: (err) => (err ? reject(err) : resolve()) });
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
            await new Promise((r) => setTimeout(r, this.deps.retryDelayMs ?? 1000));
          }
        }
        this.current = [];
        batch.forEach((w) => w.done(error));
      }
    } finally {
      this.flushing = false;
    }
  }
}
