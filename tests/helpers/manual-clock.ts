import type { WaitingClock } from '../../src/shared/clock';

interface Sleeper {
  due: number;
  resolve: () => void;
}

/**
 * A clock that stands still until a test moves it. Sleeps end when `advance` passes their time (or
 * their signal aborts), in time order, with the code they wake allowed to run before time moves on,
 * so a loop that sleeps again inside the advanced span wakes again too.
 */
export class ManualClock implements WaitingClock {
  private ms: number;
  private readonly sleepers = new Set<Sleeper>();

  constructor(start: Date | number = Date.UTC(2026, 0, 5, 9, 0, 0)) {
    this.ms = typeof start === 'number' ? start : start.getTime();
  }

  now(): Date {
    return new Date(this.ms);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const sleeper: Sleeper = {
        due: this.ms + Math.max(0, ms),
        resolve: () => {
          this.sleepers.delete(sleeper);
          signal?.removeEventListener('abort', sleeper.resolve);
          resolve();
        },
      };
      this.sleepers.add(sleeper);
      signal?.addEventListener('abort', sleeper.resolve, { once: true });
    });
  }

  /** How many sleeps are waiting (a loop parked on this clock). */
  get sleeping(): number {
    return this.sleepers.size;
  }

  /** Moves time forward by `ms`, waking every sleep that falls due on the way, in order. */
  async advance(ms: number): Promise<void> {
    const target = this.ms + ms;
    for (;;) {
      await settle();
      const next = [...this.sleepers].filter((s) => s.due <= target).sort((a, b) => a.due - b.due)[0];
      if (!next) break;
      this.ms = Math.max(this.ms, next.due);
      next.resolve();
    }
    this.ms = target;
    await settle();
  }
}

/** Lets promise chains woken by a sleep run to their next wait (fakes answer without real I/O). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}
