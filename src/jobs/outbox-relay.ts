import type pg from 'pg';
import { withTransaction } from '../db/transaction';
import type { Logger } from '../shared/logger';

/** The connection pg-boss writes its jobs through: the batch's own transaction, so they commit together. */
export interface JobsInTransaction {
  executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

export interface OutboxRelaySettings {
  /** Named in the log line of a failed pass. */
  name: string;
  /** Rows moved per transaction; a pass loops while a batch comes back full. */
  batch: number;
  /** The backstop behind wake(): rows another instance, or a change that could not wake us, left behind. */
  pollMs: number;
  /** While wakes keep arriving, a pass starts at most this often (one commit then carries many rows). */
  minPassIntervalMs?: number;
  /** One batch in `tx`: take up to `batch` rows (SKIP LOCKED), queue their jobs through `db`, mark or delete them; how many were taken. */
  moveBatch(tx: pg.ClientBase, db: JobsInTransaction, batch: number): Promise<number>;
}

/**
 * The relay of a transactional outbox: a change writes its row (a mail request, a webhook
 * delivery) in its own transaction; this moves rows into pg-boss jobs, many per transaction, the
 * rows taken and the jobs inserted in one commit, so a job is neither lost nor queued twice
 * whichever instance or crash comes between. Every instance runs one; SKIP LOCKED lets several
 * share the table. wake() after a commit relays at once; a poll catches the rest.
 */
export class OutboxRelay {
  private draining?: Promise<void>;
  private wakeAgain = false;
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly deps: { pool: pg.Pool; logger: Logger; settings: OutboxRelaySettings }) {}

  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => this.wake(), this.deps.settings.pollMs);
    this.timer.unref();
    this.wake();
  }

  /** Relays the rows there are now; wakes arriving during a pass make it go round once more. */
  wake(): void {
    if (this.stopped) return;
    if (this.draining) {
      this.wakeAgain = true;
      return;
    }
    this.draining = this.drain().finally(() => (this.draining = undefined));
  }

  /** Relays what the last changes wrote, then stops: called after HTTP closed, before the job queue stops. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    while (this.draining) await this.draining;
    await this.drain();
  }

  private async drain(): Promise<void> {
    const { settings } = this.deps;
    try {
      do {
        this.wakeAgain = false;
        const started = Date.now();
        while ((await this.moveBatch()) === settings.batch);
        if (this.wakeAgain) await sleep(started + (settings.minPassIntervalMs ?? 0) - Date.now());
      } while (this.wakeAgain && !this.stopped);
    } catch (err) {
      // The rows stay where they are; the next wake or poll tries again.
      this.deps.logger.warn({ err: (err as Error).message }, `${settings.name} relay failed, will retry`);
    }
  }

  private moveBatch(): Promise<number> {
    return withTransaction(this.deps.pool, (tx) => {
      const db: JobsInTransaction = { executeSql: (text, values) => tx.query(text, values) };
      return this.deps.settings.moveBatch(tx, db, this.deps.settings.batch);
    });
  }
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}
