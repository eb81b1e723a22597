import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Logger } from '../shared/logger';
import type { BounceKind, DeliveryOutcome, Metrics, SmtpReplyClass } from './metrics';

/**
 * The Prometheus side of `Metrics`: one Registry per instance of this class (never prom-client's
 * global one), so a test builds its own and two services in one process do not share counts.
 *
 * Counters and the histogram count what THIS process did: with several instances, Prometheus sums
 * them (`sum by (newsletter) (rate(...))`). The gauges are read from the database at scrape time
 * and are the same on every instance: aggregate them with max(), not sum() (docs/metrics.md).
 */

/** Read at scrape time; each must be cheap at a million deliveries (see metrics-queries.ts). */
export interface GaugeSources {
  /** pg-boss's own counts per queue (kept by its monitor, not counted per call). */
  queues(): Promise<Array<{ name: string; queuedCount: number; activeCount: number }>>;
  /** Deliveries not yet settled of the editions still sending, per newsletter and state. */
  ledgerPending(): Promise<Array<{ newsletter: string; status: string; deliveries: number }>>;
}

/** From a few milliseconds (a relay on the same network) to the 30 s socket timeout. */
const SMTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class PrometheusMetrics implements Metrics {
  readonly registry = new Registry();
  private readonly signups: Counter<'newsletter'>;
  private readonly confirmations: Counter;
  private readonly unsubscribes: Counter<'newsletter'>;
  private readonly deliveries: Counter<'newsletter' | 'outcome'>;
  private readonly bounces: Counter<'newsletter' | 'kind'>;
  private readonly complaints: Counter<'newsletter'>;
  private readonly smtpSeconds: Histogram<'reply'>;

  /** `processMetrics`: prom-client's default process and Node.js metrics (CPU, memory, event loop lag). */
  constructor(opts: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.signups = new Counter({ name: 'bulletin_signups_total', help: 'Signups accepted, per newsletter asked for', labelNames: ['newsletter'], registers });
    this.confirmations = new Counter({ name: 'bulletin_confirmations_total', help: 'Addresses confirmed (double opt-in done)', registers });
    this.unsubscribes = new Counter({
      name: 'bulletin_unsubscribes_total',
      help: 'Readers leaving a newsletter, or everything (newsletter="*")',
      labelNames: ['newsletter'],
      registers,
    });
    this.deliveries = new Counter({
      name: 'bulletin_deliveries_total',
      help: 'Deliveries settled by a sender: sent, failed (5xx or attempts spent), skipped (left or suppressed since), retry (4xx, tried again later)',
      labelNames: ['newsletter', 'outcome'],
      registers,
    });
    this.bounces = new Counter({
      name: 'bulletin_bounces_total',
      help: 'Bounces of deliveries, per newsletter and kind (hard: refused for good)',
      labelNames: ['newsletter', 'kind'],
      registers,
    });
    this.complaints = new Counter({ name: 'bulletin_complaints_total', help: 'Spam complaints, per newsletter', labelNames: ['newsletter'], registers });
    this.smtpSeconds = new Histogram({
      name: 'bulletin_smtp_reply_seconds',
      help: "Seconds from handing one edition's message to an SMTP connection to the server's final reply",
      labelNames: ['reply'],
      buckets: SMTP_BUCKETS,
      registers,
    });
    if (opts.processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  signup(newsletter: string): void {
    this.signups.inc({ newsletter });
  }

  confirmation(): void {
    this.confirmations.inc();
  }

  unsubscribe(newsletter: string): void {
    this.unsubscribes.inc({ newsletter });
  }

  delivery(newsletter: string, outcome: DeliveryOutcome, count = 1): void {
    this.deliveries.inc({ newsletter, outcome }, count);
  }

  bounce(newsletter: string, kind: BounceKind): void {
    this.bounces.inc({ newsletter, kind });
  }

  complaint(newsletter: string): void {
    this.complaints.inc({ newsletter });
  }

  smtpReply(seconds: number, reply: SmtpReplyClass): void {
    this.smtpSeconds.observe({ reply }, seconds);
  }

  /** The text format of every metric, gauges read now. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /**
   * The gauges read from the database at each scrape (once the job queue runs, hence not in the
   * constructor). A database that does not answer must not turn the whole scrape into an error (the counters
   * are still worth having): the gauge then has no samples, and the log says why.
   */
  readGaugesFrom(sources: GaugeSources, logger?: Pick<Logger, 'warn'>): void {
    const registers = [this.registry];
    const readInto = async <T>(gauge: Gauge<string>, metric: string, read: () => Promise<T[]>, set: (row: T) => void) => {
      gauge.reset();
      try {
        (await read()).forEach(set);
      } catch (err) {
        logger?.warn({ err: String(err), metric }, 'metrics: a gauge could not be read');
      }
    };
    new Gauge({
      name: 'bulletin_queue_jobs',
      help: "Jobs in each pg-boss queue by state, as pg-boss's monitor last counted them (same on every instance: use max)",
      labelNames: ['queue', 'state'],
      registers,
      async collect() {
        await readInto(this, 'bulletin_queue_jobs', () => sources.queues(), (q) => {
          this.set({ queue: q.name, state: 'queued' }, q.queuedCount);
          this.set({ queue: q.name, state: 'active' }, q.activeCount);
        });
      },
    });
    new Gauge({
      name: 'bulletin_ledger_pending_deliveries',
      help: 'Deliveries of editions still sending that are pending or sending, per newsletter (same on every instance: use max)',
      labelNames: ['newsletter', 'status'],
      registers,
      async collect() {
        await readInto(this, 'bulletin_ledger_pending_deliveries', () => sources.ledgerPending(), (r) => this.set({ newsletter: r.newsletter, status: r.status }, r.deliveries));
      },
    });
  }
}
