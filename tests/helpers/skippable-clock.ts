import type { WaitingClock } from '../../src/shared/clock';

/**
 * Real time that a test can jump forward, for a running service: sleeps wait in real time as
 * usual, and `skip(ms)` moves the clock ahead and ends at once every sleep that falls due within the
 * jump. A retry scheduled a few seconds ahead, or a poll, then happens now instead of later.
 */
export class SkippableClock implements WaitingClock {
  private offsetMs = 0;
  private readonly sleepers = new Set<{ due: number; wake: () => void }>();

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const sleeper = {
        due: this.now().getTime() + Math.max(0, ms),
        wake: () => {
          clearTimeout(timer);
          this.sleepers.delete(sleeper);
          signal?.removeEventListener('abort', sleeper.wake);
          resolve();
        },
      };
      const timer = setTimeout(sleeper.wake, Math.max(0, ms));
      this.sleepers.add(sleeper);
      signal?.addEventListener('abort', sleeper.wake, { once: true });
    });
  }

  skip(ms: number): void {
    this.offsetMs += ms;
    const now = this.now().getTime();
    for (const sleeper of [...this.sleepers]) if (sleeper.due <= now) sleeper.wake();
  }
}
