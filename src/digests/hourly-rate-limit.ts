import type { Clock } from '../shared/clock';

/**
 * SMTP_RATE_PER_HOUR as a token bucket (per process; SMTP_RATE_PER_SECOND is kept by the mailer's
 * connection pools). The bucket holds one minute's worth, so a burst never exceeds the hourly cap by
 * more than a sixtieth, while a steady send runs at exactly the configured rate.
 */
export class HourlyRateLimit {
  private tokens: number;
  private readonly capacity: number;
  private readonly perMs: number;
  private last: number;

  constructor(
    private readonly perHour: number,
    private readonly clock: Clock,
  ) {
    this.last = clock.now().getTime();
    this.capacity = Math.max(1, Math.ceil(perHour / 60));
    this.tokens = this.capacity;
    this.perMs = perHour / 3_600_000;
  }

  /** Takes a token and returns 0, or returns how many ms to wait before asking again. */
  take(): number {
    if (this.perHour <= 0) return 0;
    const now = this.clock.now().getTime();
    this.tokens = Math.min(this.capacity, this.tokens + (now - this.last) * this.perMs);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - this.tokens) / this.perMs);
  }

  /** A token taken for a send that did not happen goes back. */
  giveBack(): void {
    if (this.perHour > 0) this.tokens = Math.min(this.capacity, this.tokens + 1);
  }
}
