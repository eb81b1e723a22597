import type pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../shared/logger';

/**
 * This process's row in `senders`: it names the deliveries this sender claims (claimed_by) and
 * beats every `heartbeatMs` (heartbeat_at = the database's now()). Other senders take over the
 * claims of a sender whose beat is older than `staleSeconds` (it died: kill -9, a lost machine),
 * within seconds rather than at the end of the claims' lease, which stays as a backstop.
 *
 * Why a heartbeat and not a session advisory lock seen in pg_locks: a lock ends at once when the
 * process dies, but only if PostgreSQL notices (a machine that vanishes keeps its backend, and the
 * lock, until TCP keepalive gives up: hours by default), and it needs one pinned connection per
 * sender, which a transaction-mode PgBouncer does not give. A beat on the database's clock works
 * through any pool, and no two machines' clocks are ever compared.
 *
 * Fencing: this sender stops starting sends once its last successful beat began more than
 * `fenceSeconds` ago (it may be cut off from the database while others think it dead), so its
 * rows are not sent by two live senders. fenceSeconds < staleSeconds leaves the difference for a
 * send already under way to end.
 *
 * Beats and the fence run on real (monotonic) time, not the injected clock: what they guard is
 * real time passing on the database's clock, which a test clock does not move.
 */
const SQL = {
  /** A new sender; its id is never reused (serial), so rows of a dead sender never look alive again. */
  register: `INSERT INTO senders DEFAULT VALUES RETURNING id`,
  /** The beat, on the database's clock (the same clock the claims judge it by). $1 sender. */
  beat: `UPDATE senders SET heartbeat_at = now() WHERE id = $1`,
  /** Rows of senders long dead; their claims (if any are left) are reclaimable anyway. */
  forgetDead: `DELETE FROM senders WHERE heartbeat_at < now() - interval '1 day'`,
  /** A sender stopping gracefully (after giving its claims back). $1 sender. */
  retire: `DELETE FROM senders WHERE id = $1`,
} as const;

export interface SenderIdentity {
  id: number;
  staleSeconds: number;
}

export class SenderRegistry {
  private id: number | undefined;
  private lastBeatStartedAt = -Infinity;

  constructor(
    private readonly deps: {
      pool: pg.Pool;
      logger: Logger;
      heartbeatMs: number;
      staleSeconds: number;
      fenceSeconds: number;
    },
  ) {}

  /** This sender's id and how stale a sender is before its claims are taken, once registered. */
  identity(): SenderIdentity | undefined {
    return this.id === undefined ? undefined : { id: this.id, staleSeconds: this.deps.staleSeconds };
  }

  /** Registered and beating recently enough that no other sender takes its claims. */
  mayClaimAndSend(): boolean {
    return this.id !== undefined && performance.now() - this.lastBeatStartedAt < this.deps.fenceSeconds * 1000;
  }

  /** Registers (retrying while the database is away), then beats until `stopped`. */
  async run(stopped: AbortSignal): Promise<void> {
    let beats = 0;
    while (!stopped.aborted) {
      const started = performance.now();
      try {
        if (this.id === undefined) {
          const { rows } = await this.deps.pool.query<{ id: number }>(SQL.register);
          this.id = rows[0]!.id;
        } else {
          await this.deps.pool.query(SQL.beat, [this.id]);
        }
        this.lastBeatStartedAt = started;
        if (beats++ % 1000 === 0) await this.deps.pool.query(SQL.forgetDead);
      } catch (err) {
        this.deps.logger.warn({ err: String(err) }, 'sender heartbeat failed');
      }
      await sleep(this.deps.heartbeatMs, undefined, { signal: stopped }).catch(() => {});
    }
  }

  async retire(): Promise<void> {
    if (this.id === undefined) return;
    await this.deps.pool.query(SQL.retire, [this.id]).catch(() => {});
    this.id = undefined;
  }
}
