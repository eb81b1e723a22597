/**
 * What the domain tells the metrics, declared here so that domain code (subscriptions, digests,
 * the mail layer, the bounce handling to come) counts through these few methods and never imports
 * prom-client. main.ts builds the real one (prometheus-metrics.ts) and passes it in; code built
 * without it (the commands in src/cli, unit tests) gets `noMetrics`.
 */

/** How one delivery of the ledger ended this time round. */
export type DeliveryOutcome = 'sent' | 'failed' | 'skipped' | 'retry';

export type BounceKind = 'hard' | 'soft';

/** The SMTP server's final reply to one message, by class. */
export type SmtpReplyClass = '2xx' | '4xx' | '5xx';

/** The `newsletter` label of an unsubscribe from everything (an address-wide link). */
export const ALL_NEWSLETTERS = '*';

export interface SubscriptionMetrics {
  /** A signup accepted for this newsletter (slug), whether or not the address was known. */
  signup(newsletter: string): void;
  /** A pending address confirmed (double opt-in done). */
  confirmation(): void;
  /** A reader left this newsletter (slug), or everything (ALL_NEWSLETTERS). */
  unsubscribe(newsletter: string): void;
}

export interface DeliveryMetrics {
  delivery(newsletter: string, outcome: DeliveryOutcome, count?: number): void;
  /** A bounce of a delivery of this newsletter: today a 5xx during the send; later, bounce reports. */
  bounce(newsletter: string, kind: BounceKind): void;
  /** A spam complaint about this newsletter's mail (bounce and complaint webhooks). */
  complaint(newsletter: string): void;
}

export interface SmtpMetrics {
  /** Seconds from handing one message to the SMTP connection to the server's final reply. */
  smtpReply(seconds: number, reply: SmtpReplyClass): void;
}

export type Metrics = SubscriptionMetrics & DeliveryMetrics & SmtpMetrics;

/** Counts nothing: for code built without a registry. */
export const noMetrics: Metrics = Object.freeze({
  signup() {},
  confirmation() {},
  unsubscribe() {},
  delivery() {},
  bounce() {},
  complaint() {},
  smtpReply() {},
});
