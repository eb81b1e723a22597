/**
 * The bounce reports' statements, named; each comment says why it has its shape. They run in one
 * transaction per report (BounceReports.receive), so a report is stored exactly when its effect is.
 */

/**
 * The delivery a Message-ID names (digest, subscriber), with its edition's newsletter for a
 * complaint's consent record: one probe of the ledger's primary key. An erased reader's rows sit
 * under the negated id, so their Message-IDs find nothing. $1 digest, $2 subscriber.
 */
export const DELIVERY_OF_MESSAGE = `SELECT d.digest_id, d.subscriber_id, g.newsletter_id, n.slug AS newsletter
  FROM deliveries d JOIN digests g ON g.id = d.digest_id JOIN newsletters n ON n.id = g.newsletter_id
 WHERE d.digest_id = $1 AND d.subscriber_id = $2`;

export interface DeliveryOfMessageRow {
  digest_id: number;
  subscriber_id: number;
  newsletter_id: number;
  /** Its slug, the label of the bounce and complaint metrics. */
  newsletter: string;
}

/**
 * The subscriber a report is about, locked until the report commits: two reports about one
 * address (two soft bounces arriving together) then count one after the other, and neither misses
 * the other's row. By id (a delivery named it) or by the address's unique index. $1 id or address.
 */
export const LOCK_SUBSCRIBER_BY_ID = `SELECT id, email FROM subscribers WHERE id = $1 FOR UPDATE`;
export const LOCK_SUBSCRIBER_BY_EMAIL = `SELECT id, email FROM subscribers WHERE email = $1 FOR UPDATE`;

/** Its address goes into the outgoing delivery.bounced / delivery.complained event. */
export interface LockedSubscriberRow {
  id: number;
  email: string;
}

/**
 * Stores the report unless its event key is already there: ON CONFLICT DO NOTHING on the unique
 * event_key, so the same report delivered twice (a provider's retry, a replay) finds its row and
 * changes nothing; RETURNING tells the two apart. $1 provider, $2 key, $3 provider event id,
 * $4 type, $5 subscriber, $6 address hash, $7 digest, $8 reason, $9 now.
 */
export const STORE_REPORT = `INSERT INTO bounce_reports
         (provider, event_key, provider_event_id, type, subscriber_id, address_hash, digest_id, reason, received_at)
  VALUES ($1::"BounceProvider", $2, left($3, 255), $4::"BounceType", $5, $6, $7, $8, $9::timestamptz)
  ON CONFLICT (event_key) DO NOTHING
  RETURNING id`;

/**
 * Suppression: the address is left out of every send from now on, including the rest of an
 * edition already sending (the ledger's claim skips suppressed readers). The first time and its
 * reason are kept (the console shows them). $1 subscriber, $2 now, $3 reason.
 */
export const SUPPRESS = `UPDATE subscribers
   SET suppression_reason = CASE WHEN suppressed_at IS NULL THEN left($3, 200) ELSE suppression_reason END,
       suppressed_at = coalesce(suppressed_at, $2::timestamptz), updated_at = $2::timestamptz
 WHERE id = $1`;

/**
 * Soft bounces of one subscriber since the window's start, the new one included, and not before
 * an operator last lifted its suppression: a range of the (subscriber_id, type, received_at)
 * index. $1 subscriber, $2 window start.
 */
export const COUNT_SOFT_BOUNCES = `SELECT count(*)::int AS soft FROM bounce_reports
  WHERE subscriber_id = $1 AND type = 'soft' AND received_at >= $2::timestamptz
    AND received_at > coalesce((SELECT suppression_lifted_at FROM subscribers WHERE id = $1), '-infinity')`;

export interface SoftCountRow {
  soft: number;
}

/**
 * A complaint: the reader leaves everything (their subscriptions are kept, as for an unsubscribe)
 * and is suppressed, so even a later signup through a form someone else filled in cannot mail
 * them until an operator lifts it. Pending readers' confirmation links die too. $1 subscriber, $2 now,
 * $3 the suppression's reason.
 */
export const UNSUBSCRIBE_COMPLAINER = `UPDATE subscribers
   SET status = CASE WHEN status IN ('pending', 'confirmed') THEN 'unsubscribed'::"SubscriberStatus" ELSE status END,
       unsubscribed_at = CASE WHEN status IN ('pending', 'confirmed') THEN $2::timestamptz ELSE unsubscribed_at END,
       suppression_reason = CASE WHEN suppressed_at IS NULL THEN left($3, 200) ELSE suppression_reason END,
       suppressed_at = coalesce(suppressed_at, $2::timestamptz),
       updated_at = $2::timestamptz
 WHERE id = $1`;

/** Outstanding confirmation links of a complainer: a cancelled signup must not be confirmed later. $1 subscriber. */
export const DELETE_CONFIRMATION_TOKENS = `DELETE FROM tokens WHERE subscriber_id = $1 AND purpose = 'confirm'`;

/**
 * The consent record of a complaint: about the edition's newsletter when the report named a
 * delivery, else the address as a whole. Source names the door (`complaint:ses`). $1 subscriber,
 * $2 newsletter or null, $3 source, $4 now.
 */
export const RECORD_COMPLAINT = `INSERT INTO consents (subscriber_id, event, newsletter_id, source, created_at)
  VALUES ($1, 'complaint', $2, $3, $4::timestamptz)`;

/**
 * Spends a provider's one-time value (Mailgun's token): inserted unless seen, and values older
 * than any fresh request are dropped in the same statement (the seen_at index), so the table holds
 * minutes of traffic. RETURNING is empty for a value already seen: a replay. $1 hash, $2 provider,
 * $3 now, $4 forget before.
 */
export const SPEND_NONCE = `WITH forgotten AS (DELETE FROM webhook_nonces WHERE seen_at < $4::timestamptz)
  INSERT INTO webhook_nonces (nonce_hash, provider, seen_at) VALUES ($1, $2::"BounceProvider", $3::timestamptz)
  ON CONFLICT (nonce_hash) DO NOTHING
  RETURNING nonce_hash`;
