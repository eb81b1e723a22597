import type crypto from 'node:crypto';
import type pg from 'pg';
import type { DeliveryMetrics } from '../metrics/metrics';
import type { EventRecording } from '../events/event-recorder';
import { sendGridPublicKey, type Config } from '../config';
import type { Clock } from '../shared/clock';
import type { Logger } from '../shared/logger';
import { BounceReports, type MessageIdReader } from './bounce-reports';
import { httpsGet as realHttpsGet, type HttpsGet } from './providers/https-get';
import type { DeliveryReferences } from './providers/raw';
import { SnsVerifier } from './providers/sns-signature';

export type BounceConfig = Pick<
  Config,
  | 'BOUNCE_WEBHOOK_SECRET'
  | 'BOUNCE_RAW_SECRET'
  | 'BOUNCE_SES_TOPIC_ARNS'
  | 'BOUNCE_POSTMARK_CREDENTIALS'
  | 'BOUNCE_MAILGUN_SIGNING_KEY'
  | 'BOUNCE_SENDGRID_PUBLIC_KEY'
  | 'BOUNCE_SOFT_LIMIT'
  | 'BOUNCE_SOFT_WINDOW_DAYS'
>;

/** The webhook doors that are open: each needs its provider's secret or key; an unset one stays closed (404). */
export interface BounceDoors {
  generic?: { secret: string };
  raw?: { secret: string; references: DeliveryReferences };
  ses?: SnsVerifier;
  postmark?: { credentials: string };
  mailgun?: { signingKey: string };
  sendgrid?: { publicKey: crypto.KeyObject };
}

/** Builds the bounce reports' service and the doors the configuration opens. */
export function createBounces(deps: {
  pool: pg.Pool;
  clock: Clock;
  logger: Logger;
  messageIds: MessageIdReader & DeliveryReferences;
  config: BounceConfig;
  metrics: Pick<DeliveryMetrics, 'bounce' | 'complaint'>;
  events: EventRecording;
  /** How SNS certificates and subscription URLs are fetched; tests serve their own. */
  httpsGet?: HttpsGet;
}): { reports: BounceReports; doors: BounceDoors } {
  const { config } = deps;
  const reports = new BounceReports({
    pool: deps.pool,
    clock: deps.clock,
    logger: deps.logger,
    messageIds: deps.messageIds,
    settings: { softLimit: config.BOUNCE_SOFT_LIMIT, softWindowDays: config.BOUNCE_SOFT_WINDOW_DAYS },
    metrics: deps.metrics,
    events: deps.events,
  });
  const doors: BounceDoors = {
    generic: config.BOUNCE_WEBHOOK_SECRET ? { secret: config.BOUNCE_WEBHOOK_SECRET } : undefined,
    raw: config.BOUNCE_RAW_SECRET ? { secret: config.BOUNCE_RAW_SECRET, references: deps.messageIds } : undefined,
    ses: config.BOUNCE_SES_TOPIC_ARNS.length
      ? new SnsVerifier({ get: deps.httpsGet ?? realHttpsGet, topicArns: config.BOUNCE_SES_TOPIC_ARNS })
      : undefined,
    postmark: config.BOUNCE_POSTMARK_CREDENTIALS ? { credentials: config.BOUNCE_POSTMARK_CREDENTIALS } : undefined,
    mailgun: config.BOUNCE_MAILGUN_SIGNING_KEY ? { signingKey: config.BOUNCE_MAILGUN_SIGNING_KEY } : undefined,
    sendgrid: config.BOUNCE_SENDGRID_PUBLIC_KEY ? { publicKey: sendGridPublicKey(config.BOUNCE_SENDGRID_PUBLIC_KEY) } : undefined,
  };
  return { reports, doors };
}
