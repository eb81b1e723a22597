import type { Subscriber } from '../generated/prisma/client';

/**
 * The lists area's SQL: a list import (set-based, in one transaction), the export's pages and the
 * lookup by address prefix. One named statement each, with why it has its shape. An import never
 * writes row by row: the file's rows go into a temporary table in one statement (unnest of
 * arrays), and each step below is one INSERT/UPDATE ... SELECT over it, so 100,000 rows cost a
 * dozen statements (docs/benchmarks.md, "List import").
 */

/**
 * The import's working table, gone at commit or rollback. `outcome`: null while undecided, then
 * 'erased', 'unsubscribed', 'suppressed' (skipped), 'imported' (new), 'merged' or 'merged_pending'
 * (an existing confirmed or pending subscriber).
 */
export const CREATE_IMPORT_ROWS = `CREATE TEMPORARY TABLE import_rows (
         row_number int NOT NULL, email text NOT NULL, name text, address_hash text NOT NULL,
         subscriber_id int, outcome text
       ) ON COMMIT DROP`;

/** An import of a large list may take longer than the statements a reader waits on: no limit, for this transaction only. */
export const LIFT_STATEMENT_TIMEOUT = `SET LOCAL statement_timeout = 0`;

/** The file's valid rows in one statement. $1 rows, $2 emails, $3 names, $4 address hashes. */
export const FILL_IMPORT_ROWS = `INSERT INTO import_rows (row_number, email, name, address_hash)
       SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::text[])`;

/** A temporary table has no statistics until analysed: without them the planner guesses a few rows and loops. */
export const ANALYZE_IMPORT_ROWS = `ANALYZE import_rows`;

/**
 * The chosen newsletters, still active, share-locked until commit: archiving one waits for the
 * import, and one archived before it is not found (the import fails and writes nothing). $1 ids.
 */
export const LOCK_NEWSLETTERS = `SELECT id FROM newsletters WHERE id = ANY($1::int[]) AND archived_at IS NULL ORDER BY id FOR SHARE`;

export const CREATE_CONSENT_STATEMENT = `INSERT INTO consent_statements (statement, created_at) VALUES ($1, $2) RETURNING id`;

/** Erased addresses are never brought back by an import: a hash join on the primary key. */
export const MARK_ERASED = `UPDATE import_rows r SET outcome = 'erased'
         FROM erased_addresses e WHERE e.address_hash = r.address_hash`;

/**
 * Existing subscribers, locked in id order (a concurrent signup, unsubscribe or import of the same
 * address waits for this one to commit; the order avoids deadlocks between two imports), then
 * classified. Whoever unsubscribed or was suppressed is skipped: a list cannot override a reader
 * who left or an address that bounces.
 */
export const MARK_EXISTING = `WITH existing AS (
         SELECT s.id, s.email, s.status, s.suppressed_at
           FROM subscribers s JOIN import_rows r ON r.email = s.email
          WHERE r.outcome IS NULL
          ORDER BY s.id
            FOR UPDATE OF s
       )
       UPDATE import_rows r
          SET subscriber_id = e.id,
              outcome = CASE WHEN e.suppressed_at IS NOT NULL THEN 'suppressed'
                             WHEN e.status = 'unsubscribed' THEN 'unsubscribed'
                             WHEN e.status = 'pending' THEN 'merged_pending'
                             ELSE 'merged' END
         FROM existing e WHERE e.email = r.email`;

/**
 * New subscribers, in the file's order. Confirmed: confirmed now; pending: a confirmation email is
 * requested now (the throttle's clock starts, as for a signup). An address a concurrent signup
 * created since MARK_EXISTING conflicts and stays undecided (reported, not overwritten).
 * $1 status, $2 now.
 */
export const INSERT_NEW = `WITH created AS (
         INSERT INTO subscribers (email, name, status, confirmed_at, confirmation_sent_at, created_at, updated_at)
         SELECT email, name, $1::"SubscriberStatus",
                CASE WHEN $1 = 'confirmed' THEN $2::timestamp END, CASE WHEN $1 = 'pending' THEN $2::timestamp END, $2, $2
           FROM import_rows WHERE outcome IS NULL ORDER BY row_number
         ON CONFLICT (email) DO NOTHING
         RETURNING id, email
       )
       UPDATE import_rows r SET subscriber_id = c.id, outcome = 'imported' FROM created c WHERE c.email = r.email`;

/** Importing as confirmed confirms a pending subscriber: the operator vouches for their consent. $1 now. */
export const CONFIRM_PENDING = `UPDATE subscribers s
          SET status = 'confirmed', confirmed_at = $1, unsubscribed_at = NULL, updated_at = $1
         FROM import_rows r WHERE r.subscriber_id = s.id AND r.outcome = 'merged_pending'`;

/**
 * The chosen newsletters for everyone imported or merged (ON CONFLICT: one already held stays as
 * it was), and an `import` consent event, under the operator's statement, for each subscription
 * added and for each chosen newsletter of a pending subscriber this import confirmed.
 * $1 newsletter ids, $2 now, $3 statement id, $4 whether pending subscribers were confirmed.
 */
export const SUBSCRIBE_AND_RECORD_CONSENT = `WITH added AS (
         INSERT INTO subscriptions (subscriber_id, newsletter_id, created_at)
         SELECT r.subscriber_id, n.id, $2 FROM import_rows r CROSS JOIN unnest($1::int[]) AS n(id)
          WHERE r.outcome IN ('imported', 'merged', 'merged_pending')
         ON CONFLICT (subscriber_id, newsletter_id) DO NOTHING
         RETURNING subscriber_id, newsletter_id
       ), consented AS (
         SELECT subscriber_id, newsletter_id FROM added
         UNION
         SELECT r.subscriber_id, n.id FROM import_rows r CROSS JOIN unnest($1::int[]) AS n(id)
          WHERE r.outcome = 'merged_pending' AND $4::boolean
       ), recorded AS (
         INSERT INTO consents (subscriber_id, event, source, newsletter_id, statement_id, created_at)
         SELECT subscriber_id, 'import', 'import', newsletter_id, $3, $2 FROM consented
         RETURNING 1
       )
       SELECT (SELECT count(*) FROM added)::int AS subscriptions, (SELECT count(*) FROM recorded)::int AS consents`;
export interface SubscribedRow {
  subscriptions: number;
  consents: number;
}

/**
 * Imported as pending: each new address gets the confirmation email of a signup, through the
 * same transactional outbox (mail_requests), committed with the import. $1 now.
 */
export const REQUEST_CONFIRMATIONS = `INSERT INTO mail_requests (kind, subscriber_id, created_at)
       SELECT 'confirmation', subscriber_id, $1 FROM import_rows WHERE outcome = 'imported' ORDER BY row_number`;

export const COUNT_OUTCOMES = `SELECT coalesce(outcome, 'changed') AS outcome, count(*)::int AS count FROM import_rows GROUP BY 1`;
export interface OutcomeCountRow {
  outcome: string;
  count: number;
}

/** The first skipped rows, in the file's order, for the report. $1 limit. */
export const SKIPPED_ROWS = `SELECT row_number, email, coalesce(outcome, 'changed') AS outcome FROM import_rows
        WHERE outcome IS NULL OR outcome IN ('erased', 'unsubscribed', 'suppressed')
        ORDER BY row_number LIMIT $1`;
export interface SkippedRow {
  row_number: number;
  email: string;
  outcome: string;
}

/**
 * One page of the export, by id (keyset: `id > $1`, the primary key walked in order; never an
 * offset, so the millionth row costs what the first does and a concurrent signup shifts nothing).
 * The newsletters come from the (subscriber_id, newsletter_id) key, a probe per row.
 * $1 after id, $2 status or null, $3 newsletter id or null, $4 page size.
 */
export const EXPORT_PAGE = `SELECT s.id, s.email, s.name, s.status::text AS status, s.created_at, s.confirmed_at, s.unsubscribed_at,
              s.suppressed_at IS NOT NULL AS suppressed,
              coalesce((SELECT string_agg(n.slug, ';' ORDER BY n.slug)
                          FROM subscriptions x JOIN newsletters n ON n.id = x.newsletter_id
                         WHERE x.subscriber_id = s.id), '') AS newsletters
         FROM subscribers s
        WHERE s.id > $1
          AND ($2::"SubscriberStatus" IS NULL OR s.status = $2::"SubscriberStatus")
          AND ($3::int IS NULL OR EXISTS (SELECT 1 FROM subscriptions x WHERE x.subscriber_id = s.id AND x.newsletter_id = $3))
        ORDER BY s.id
        LIMIT $4`;
export type ExportRow = Pick<Subscriber, 'id' | 'email' | 'name' | 'status'> & {
  created_at: Subscriber['createdAt'];
  confirmed_at: Subscriber['confirmedAt'];
  unsubscribed_at: Subscriber['unsubscribedAt'];
  suppressed: boolean;
  newsletters: string;
};

/**
 * Addresses starting with a prefix, walking the unique index on email: the column's collation is
 * "C", so LIKE 'prefix%' is a range of that index and ORDER BY email its own order, and the LIMIT
 * stops the walk early. $1 LIKE pattern (escaped prefix + '%'), $2 limit.
 */
export const LOOKUP_BY_PREFIX = `SELECT id, email, status::text AS status, suppressed_at IS NOT NULL AS suppressed
         FROM subscribers WHERE email LIKE $1 ORDER BY email LIMIT $2`;
export type LookupRow = Pick<Subscriber, 'id' | 'email' | 'status'> & { suppressed: boolean };
