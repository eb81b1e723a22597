import type { Consent, Delivery, Digest, Subscriber, Token } from '../generated/prisma/client';

/**
 * The privacy area's SQL (a reader's data, erasure, erased addresses), one named statement each
 * with why it has its shape, and the rows typed as the Prisma client types them. Run on the pool
 * or in one transaction (erasure), whose sessions and dates are UTC (src/db/database.ts).
 */

/** The salt, made by the first process that needs it; ON CONFLICT keeps the first one forever. $1 hex salt. */
export const MAKE_ERASURE_SALT = `INSERT INTO erasure_salt (id, salt) VALUES (1, $1) ON CONFLICT (id) DO NOTHING`;
export const ERASURE_SALT = `SELECT salt FROM erasure_salt WHERE id = 1`;
export interface ErasureSaltRow {
  salt: string;
}

/** The subscriber row, locked for its erasure (a concurrent change waits, then finds it gone). $1 id. */
export const LOCK_SUBSCRIBER = `SELECT id, email FROM subscribers WHERE id = $1 FOR UPDATE`;
export type LockedSubscriberRow = Pick<Subscriber, 'id' | 'email'>;

/**
 * The deliveries of one subscriber, walked digest by digest: the ledger has no index on
 * subscriber_id alone (it would cost every fan-out a second index write), so each edition is one
 * probe of the (digest_id, subscriber_id) primary key, which the LATERAL makes the planner take.
 * The cost grows with the editions ever made, not with the deliveries.
 */
const DELIVERIES_OF = `FROM digests g
         CROSS JOIN LATERAL (SELECT * FROM deliveries d WHERE d.digest_id = g.id AND d.subscriber_id = $1) d`;

/**
 * Erasure of the reader's bounce reports: they stay as anonymous counts of their edition (digest
 * and type), losing the subscriber and the provider's diagnostic (which may quote the address).
 * Walks the (subscriber_id, type, received_at) index. $1 subscriber id.
 */
export const ANONYMISE_BOUNCE_REPORTS = `UPDATE bounce_reports SET subscriber_id = NULL, reason = NULL WHERE subscriber_id = $1`;

/**
 * Erasure of the ledger's part: the rows stay, so every edition's counts stay as they were, under
 * the negated id of the subscriber row being deleted (ids are never reused, so it names nobody and
 * collides with no one). A delivery not yet sent is settled as skipped: no claim finds it pending
 * again. What could point back at the person goes: the SMTP error (it may quote the address) and
 * the Message-ID (the mail server's logs tie it to the address). $1 subscriber id.
 */
export const ANONYMISE_DELIVERIES = `UPDATE deliveries d
          SET subscriber_id = -d.subscriber_id,
              status = CASE WHEN d.status IN ('pending', 'sending') THEN 'skipped'::"DeliveryStatus" ELSE d.status END,
              lease_until = NULL, next_attempt_at = NULL, last_error = NULL, message_id = NULL
         FROM (SELECT d.digest_id ${DELIVERIES_OF}) mine
        WHERE d.digest_id = mine.digest_id AND d.subscriber_id = $1`;

/** Emails the reader's changes asked for and the relay has not taken yet. $1 subscriber id. */
export const DELETE_MAIL_REQUESTS = `DELETE FROM mail_requests WHERE subscriber_id = $1`;

/**
 * Outgoing webhook events about the reader (their address is in the data), sent or not; their
 * deliveries cascade. What receivers already got is theirs to erase. $1 subscriber id.
 */
export const DELETE_WEBHOOK_EVENTS = `DELETE FROM webhook_events WHERE subscriber_id = $1`;

/** The manage-link throttle's row, keyed by SHA-256 of the address as REQUEST_MANAGE_LINK writes it. $1 email. */
export const DELETE_MANAGE_REQUEST = `DELETE FROM manage_requests WHERE address_hash = encode(sha256(convert_to($1, 'UTF8')), 'hex')`;

/** The subscriber; tokens, consents (with their IP and user agent) and subscriptions cascade. $1 id. */
export const DELETE_SUBSCRIBER = `DELETE FROM subscribers WHERE id = $1`;

/** $1 hash, $2 now. Erased twice (erased, came back, erased again): one row, the latest time. */
export const RECORD_ERASED_ADDRESS = `INSERT INTO erased_addresses (address_hash, erased_at) VALUES ($1, $2)
       ON CONFLICT (address_hash) DO UPDATE SET erased_at = EXCLUDED.erased_at`;

/** A reader's data (GET .../data), each a small read by the subscriber's key. $1 subscriber id. */
export const READER = `SELECT id, email, name, status::text AS status, created_at, confirmation_sent_at, confirmed_at, unsubscribed_at,
              suppressed_at, suppression_reason, hard_bounces
         FROM subscribers WHERE id = $1`;
export type ReaderRow = Pick<Subscriber, 'id' | 'email' | 'name' | 'status'> & {
  created_at: Subscriber['createdAt'];
  confirmation_sent_at: Subscriber['confirmationSentAt'];
  confirmed_at: Subscriber['confirmedAt'];
  unsubscribed_at: Subscriber['unsubscribedAt'];
  suppressed_at: Subscriber['suppressedAt'];
  suppression_reason: Subscriber['suppressionReason'];
  hard_bounces: Subscriber['hardBounces'];
};

export const READER_SUBSCRIPTIONS = `SELECT n.slug AS newsletter, x.created_at
         FROM subscriptions x JOIN newsletters n ON n.id = x.newsletter_id
        WHERE x.subscriber_id = $1 ORDER BY n.slug`;
export interface ReaderSubscriptionRow {
  newsletter: string;
  created_at: Date;
}

export const READER_CONSENTS = `SELECT c.event::text AS event, c.created_at, c.ip, c.user_agent, c.source, n.slug AS newsletter, s.statement
         FROM consents c
         LEFT JOIN newsletters n ON n.id = c.newsletter_id
         LEFT JOIN consent_statements s ON s.id = c.statement_id
        WHERE c.subscriber_id = $1 ORDER BY c.created_at, c.id`;
export type ReaderConsentRow = Pick<Consent, 'event' | 'ip' | 'source'> & {
  created_at: Consent['createdAt'];
  user_agent: Consent['userAgent'];
  newsletter: string | null;
  statement: string | null;
};

/** Never the token's hash: its purpose and times tell the reader what links are out. */
export const READER_TOKENS = `SELECT purpose::text AS purpose, created_at, expires_at
         FROM tokens WHERE subscriber_id = $1 AND used_at IS NULL ORDER BY created_at, id`;
export type ReaderTokenRow = Pick<Token, 'purpose'> & { created_at: Token['createdAt']; expires_at: Token['expiresAt'] };

export const READER_DELIVERIES = `SELECT g.id AS edition_id, g.public_id, n.slug AS newsletter, g.edition_at, d.status::text AS status, d.attempts, d.sent_at
         ${DELIVERIES_OF}
         JOIN newsletters n ON n.id = g.newsletter_id
        ORDER BY g.edition_at, g.id`;
export type ReaderDeliveryRow = Pick<Delivery, 'status' | 'attempts'> & {
  edition_id: Digest['id'];
  public_id: Digest['publicId'];
  newsletter: string;
  edition_at: Digest['editionAt'];
  sent_at: Delivery['sentAt'];
};
