import type pg from 'pg';
import { AppError } from '../shared/errors';
import type { Logger } from '../shared/logger';
import {
  READER,
  READER_CONSENTS,
  READER_DELIVERIES,
  READER_SUBSCRIPTIONS,
  READER_TOKENS,
  type ReaderConsentRow,
  type ReaderDeliveryRow,
  type ReaderRow,
  type ReaderSubscriptionRow,
  type ReaderTokenRow,
} from './privacy-queries';

/** Everything Bulletin holds about one reader, as a reader's access request is answered. */
export interface ReaderData {
  subscriber: {
    id: number;
    email: string;
    name: string | null;
    status: ReaderRow['status'];
    createdAt: Date;
    confirmationSentAt: Date | null;
    confirmedAt: Date | null;
    unsubscribedAt: Date | null;
    suppressedAt: Date | null;
    /** Why an operator suppressed the address; null when bounces did (or it is not suppressed). */
    suppressionReason: string | null;
    hardBounces: number;
  };
  subscriptions: { newsletter: string; createdAt: Date }[];
  consents: {
    event: ReaderConsentRow['event'];
    createdAt: Date;
    ip: string | null;
    userAgent: string | null;
    source: string;
    newsletter: string | null;
    statement: string | null;
  }[];
  deliveries: {
    editionId: number;
    publicId: string;
    newsletter: string;
    editionAt: Date;
    status: ReaderDeliveryRow['status'];
    attempts: number;
    sentAt: Date | null;
  }[];
  /** Links out by email and not yet used: what for and until when; never the token. */
  pendingTokens: { purpose: ReaderTokenRow['purpose']; createdAt: Date; expiresAt: Date }[];
}

/**
 * A reader's data for an access request (GET /api/admin/subscribers/:id/data, the console's
 * download), and the same read for the console's subscriber page.
 */
export class ReaderDataExport {
  constructor(private readonly deps: { pool: pg.Pool; logger: Logger }) {}

  /** Handed out: logged (the route records the audit entry). */
  async of(subscriberId: number, actor: string): Promise<ReaderData> {
    const data = await this.read(subscriberId);
    this.deps.logger.info({ actor, subscriberId, consents: data.consents.length, deliveries: data.deliveries.length }, 'reader data exported');
    return data;
  }

  /** Read to be shown, not handed out (the console's subscriber page, admins only). */
  async read(subscriberId: number): Promise<ReaderData> {
    const q = <R extends pg.QueryResultRow>(text: string) => this.deps.pool.query<R>(text, [subscriberId]).then((r) => r.rows);
    const [reader] = await q<ReaderRow>(READER);
    if (!reader) throw new AppError('NOT_FOUND', 'No subscriber has that id');
    const [subscriptions, consents, deliveries, tokens] = await Promise.all([
      q<ReaderSubscriptionRow>(READER_SUBSCRIPTIONS),
      q<ReaderConsentRow>(READER_CONSENTS),
      q<ReaderDeliveryRow>(READER_DELIVERIES),
      q<ReaderTokenRow>(READER_TOKENS),
    ]);
    return {
      subscriber: {
        id: reader.id,
        email: reader.email,
        name: reader.name,
        status: reader.status,
        createdAt: reader.created_at,
        confirmationSentAt: reader.confirmation_sent_at,
        confirmedAt: reader.confirmed_at,
        unsubscribedAt: reader.unsubscribed_at,
        suppressedAt: reader.suppressed_at,
        suppressionReason: reader.suppression_reason,
        hardBounces: reader.hard_bounces,
      },
      subscriptions: subscriptions.map((s) => ({ newsletter: s.newsletter, createdAt: s.created_at })),
      consents: consents.map((c) => ({
        event: c.event,
        createdAt: c.created_at,
        ip: c.ip,
        userAgent: c.user_agent,
        source: c.source,
        newsletter: c.newsletter,
        statement: c.statement,
      })),
      deliveries: deliveries.map((d) => ({
        editionId: d.edition_id,
        publicId: d.public_id,
        newsletter: d.newsletter,
        editionAt: d.edition_at,
        status: d.status,
        attempts: d.attempts,
        sentAt: d.sent_at,
      })),
      pendingTokens: tokens.map((t) => ({ purpose: t.purpose, createdAt: t.created_at, expiresAt: t.expires_at })),
    };
  }
}
