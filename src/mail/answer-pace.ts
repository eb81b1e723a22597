/**
 * How fast this SMTP server usually answers a message (from MAIL FROM to the reply to the final
 * dot), from its recent answers, and what the pool makes of a message that takes much longer:
 *
 * - past `stallMs` (4 x the 99th percentile, at least 250 ms) the message is stalled: it goes on
 *   waiting for its answer (a late answer still counts, so nothing is sent twice), but a spare
 *   connection takes its place in the pool (SMTP_SPARE_CONNECTIONS);
 * - when no spare is free (the server is silent on more messages than spares carry), the message
 *   is given up at `giveUpMs` (10 x the 99th percentile, at least 1 s) instead of holding its
 *   connection for the whole SMTP_MESSAGE_TIMEOUT_MS, and is retried later like a 4xx; the pool
 *   does so only while the server plainly answers later messages (see RawSmtpPool.deliver).
 *
 * Both follow the server: a relay that scans content and answers in seconds gets seconds-long
 * thresholds. Until WARM_UP answers are seen, both are the message timeout (nothing is judged).
 */
export class AnswerPace {
  static readonly WINDOW = 256;
  static readonly WARM_UP = 32;
  static readonly STALL = { multiple: 4, floorMs: 250 };
  static readonly GIVE_UP = { multiple: 10, floorMs: 1000 };
  private static readonly RECOMPUTE_EVERY = 32;

  private readonly samples = new Float64Array(AnswerPace.WINDOW);
  private count = 0;
  private p99: number | undefined;

  constructor(private readonly messageTimeoutMs: number) {}

  get stallMs(): number {
    return this.threshold(AnswerPace.STALL);
  }

  get giveUpMs(): number {
    return this.threshold(AnswerPace.GIVE_UP);
  }

  /** Whether enough answers were seen to judge (before that, both thresholds are the message timeout). */
  get known(): boolean {
    return this.p99 !== undefined;
  }

  /** One final answer came `ms` after the message was handed to its connection. */
  observe(ms: number): void {
    this.samples[this.count % AnswerPace.WINDOW] = ms;
    this.count++;
    if (this.count >= AnswerPace.WARM_UP && this.count % AnswerPace.RECOMPUTE_EVERY === 0) {
      const recent = this.samples.slice(0, Math.min(this.count, AnswerPace.WINDOW)).sort();
      this.p99 = recent[Math.min(recent.length - 1, Math.floor(recent.length * 0.99))];
    }
  }

  private threshold(rule: { multiple: number; floorMs: number }): number {
    if (this.p99 === undefined) return this.messageTimeoutMs;
    return Math.min(this.messageTimeoutMs, Math.max(rule.floorMs, this.p99 * rule.multiple));
  }
}
