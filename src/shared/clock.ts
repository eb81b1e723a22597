/** Time as a dependency, so schedules and expiry can be tested without waiting. */
export interface Clock {
  now(): Date;
}

/**
 * A clock that can also wait: loops that pause (the digest sender's polls and outage pauses, its
 * lease renewal, retries of a write) wait on it, so a test clock can let them go on at once by
 * moving time forward instead of a test waiting in real time.
 */
export interface WaitingClock extends Clock {
  /** Resolves after `ms` of this clock's time, or as soon as `signal` aborts (never rejects). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: WaitingClock = {
  now: () => new Date(),
  sleep(ms, signal) {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      signal?.addEventListener('abort', done, { once: true });
    });
  },
};

/** The moment `days` whole days (of 24 hours) before `from`: a retention's or a window's start. */
export function daysBefore(from: Date, days: number): Date {
  return new Date(from.getTime() - days * 86_400_000);
}
