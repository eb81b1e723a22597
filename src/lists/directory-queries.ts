import type { Subscriber } from '../generated/prisma/client';

/**
 * The console's subscriber directory (a page of subscribers, filtered) and suppressions by hand.
 * A state filter is two parameters that are null when unused: node-pg's statements are unnamed, so
 * PostgreSQL plans each with its values and folds the unused ones away (`NULL IS NULL OR ...`).
 * A newsletter is a JOIN, never `$n IS NULL OR EXISTS (...)`: an OR'ed EXISTS is not turned into a
 * join (that happens before the folding), so the planner could only walk every subscriber and
 * probe, 0.5 s at 1,000,000 subscribers for a newsletter of 200 readers. Hence four statements,
 * by order (newest first, or by address for a search) and by whether a newsletter is chosen.
 * Plans checked with EXPLAIN at 1,000,000 subscribers (docs/benchmarks.md, "Subscribers pages").
 *
 * The states as the dashboard counts them: confirmed means receiving (not suppressed); suppressed
 * is any suppressed address, whatever its state. Parameters: $1 status or null, $2 suppressed
 * (true, false) or null, $3 the id after which the page starts or null, $4 page size, $5 the
 * newsletter's id or the LIKE pattern (escaped prefix + '%').
 */
const STATE = `($1::"SubscriberStatus" IS NULL OR s.status = $1::"SubscriberStatus")
          AND ($2::boolean IS NULL OR (s.suppressed_at IS NOT NULL) = $2::boolean)`;

const COLUMNS = `s.id, s.email, s.name, s.status::text AS status, s.suppressed_at IS NOT NULL AS suppressed, s.created_at`;

/** The newsletter's readers: one subscription per reader (its primary key), so no row twice. */
const IN_NEWSLETTER = `subscriptions x JOIN subscribers s ON s.id = x.subscriber_id AND x.newsletter_id = $5`;

/**
 * Newest first, by id (keyset: `id < $3`, never an offset): the primary key walked backwards,
 * stopping at the page's size. PostgreSQL walks the key and skips the other states (a common
 * state), or reads a rare state's rows from its index and sorts them: pending from
 * (status, created_at) (purged after PENDING_PURGE_DAYS, so few), suppressed from the partial
 * index of suppressed addresses. In a newsletter the cursor is also said of the subscription's
 * column: the planner carries equality across a join, not `<`, and without it a deep page would
 * walk the newsletter's index from its newest reader down to the cursor.
 */
const NEWEST = (from: string, key: string) => `SELECT ${COLUMNS}
         FROM ${from}
        WHERE ${STATE}
          AND ($3::int IS NULL OR (s.id < $3 AND ${key} < $3))
        ORDER BY ${key} DESC
        LIMIT $4`;
export const NEWEST_PAGE = NEWEST('subscribers s', 's.id');
/** The same in one newsletter: its (newsletter_id, subscriber_id) index walked backwards, or the other way round when the state is rarer. */
export const NEWEST_PAGE_IN_NEWSLETTER = NEWEST(IN_NEWSLETTER, 'x.subscriber_id');

/**
 * Addresses starting with a prefix, in address order: the unique index on email (collation "C")
 * holds them as one range in that order, so the walk stops at the page's size however short the
 * prefix; newest first would fetch and sort the whole range ("a": a 26th of the list). The cursor
 * stays an id (no address in a URL): the page starts after that subscriber's address.
 */
const BY_ADDRESS = (from: string, pattern: string) => `SELECT ${COLUMNS}
         FROM ${from}
        WHERE s.email LIKE ${pattern}
          AND ${STATE}
          AND ($3::int IS NULL OR s.email > (SELECT email FROM subscribers WHERE id = $3))
        ORDER BY s.email
        LIMIT $4`;
export const ADDRESS_PAGE = BY_ADDRESS('subscribers s', '$5');
/** $5 the newsletter's id, $6 the LIKE pattern. */
export const ADDRESS_PAGE_IN_NEWSLETTER = BY_ADDRESS(IN_NEWSLETTER, '$6');

export type DirectoryRow = Pick<Subscriber, 'id' | 'email' | 'name' | 'status'> & {
  suppressed: boolean;
  created_at: Subscriber['createdAt'];
};

/**
 * Suppressed by an operator: left out of every send from now on (the ledger's recipients and each
 * claim check suppressed_at). A second suppression keeps the first time and takes the new reason.
 * $1 id, $2 reason, $3 now.
 */
export const SUPPRESS = `UPDATE subscribers
          SET suppressed_at = coalesce(suppressed_at, $3::timestamptz), suppression_reason = $2, updated_at = $3
        WHERE id = $1
        RETURNING id`;

/**
 * Sendable again. The run of hard bounces starts over: otherwise a bounced address would be
 * suppressed again by its very next bounce. $1 id, $2 now.
 */
export const UNSUPPRESS = `UPDATE subscribers
          SET suppressed_at = NULL, suppression_reason = NULL, hard_bounces = 0, suppression_lifted_at = $2, updated_at = $2
        WHERE id = $1
        RETURNING id`;

/**
 * The suppression list, newest suppressed id first, after the cursor ($1 id or null), $2 rows: the
 * partial index of suppressed subscribers walked backwards, so its cost is the page, not the list.
 */
export const SUPPRESSED_PAGE = `SELECT id, email, suppressed_at, suppression_reason
         FROM subscribers
        WHERE suppressed_at IS NOT NULL AND ($1::int IS NULL OR id < $1)
        ORDER BY id DESC
        LIMIT $2`;

export type SuppressedRow = Pick<Subscriber, 'id' | 'email'> & {
  suppressed_at: NonNullable<Subscriber['suppressedAt']>;
  suppression_reason: Subscriber['suppressionReason'];
};

/** A subscriber's id from their address (stored lower case). $1 address. */
export const SUBSCRIBER_BY_ADDRESS = `SELECT id FROM subscribers WHERE email = $1`;
