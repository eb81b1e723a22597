import type { MailRequest, Newsletter, Token } from '../generated/prisma/client';

/**
 * The subscription area's hand-written SQL (tables `subscribers`, `subscriptions`,
 * `consents`, `tokens`, `manage_requests`, `mail_requests`), one named statement each with the comment on why it has
 * its shape, and the rows it returns typed as the Prisma client types them. Everything else in the
 * area goes through Prisma (subscriber-repository.ts); these are the statements Prisma cannot
 * express as one statement (a CTE writing several tables, a compare-and-set returning what it
 * changed, a SKIP LOCKED claim) or the measured hot paths. Run on the pool, whose sessions and
 * dates are UTC like Prisma's (src/db/database.ts).
 */

/**
 * A signup to one or more newsletters, whatever the address's state, in one statement (one round
 * trip, one commit); the cases are spelled out on SubscriberRepository.signup.
 *
 * `existing` locks the address's row: concurrent signups of one address (on any instance) queue
 * there, and FOR UPDATE re-reads the row once the lock is theirs, so `due` is decided on the
 * latest commit and one confirmation email goes out per resend interval. Two signups of a new
 * address at once: the INSERT's ON CONFLICT makes the later one wait and then do nothing (the
 * first one's email is on its way). Every class locks or writes one subscriber row, offers the
 * asked subscriptions to the primary key (ON CONFLICT DO NOTHING: a confirmed reader's new
 * newsletter is added at once, one already held is left as it is) and writes one consent row per
 * newsletter asked for, so the time the statement takes does not tell the classes apart. An
 * unsubscribed address comes back with exactly what it asked for: `left_behind` drops the
 * subscriptions it kept and did not ask for again (a disjoint set from what `subscribed` writes,
 * as one statement cannot touch a row twice).
 *
 * A pg named statement: each connection parses and plans it once (through Prisma's query layer
 * it took 15% of the web process's CPU under signup load, docs/benchmarks.md).
 *
 * `asked` keeps the newsletters that are still not archived (primary key probes): the caller's list
 * may be a few seconds old (NewsletterChoices). When none is left (all archived in those seconds),
 * the statement writes nothing at all, as for a bot: no subscriber without a newsletter, no email.
 *
 * $1 email, $2 name, $3 newsletter ids (int[], not empty), $4 now, $5 resend before, $6 ip,
 * $7 user agent, $8 source.
 */
export const SIGNUP = {
  name: 'subscribers.signup-newsletters',
  text: `WITH existing AS (
         SELECT id, status,
                status IN ('pending', 'unsubscribed') AND (confirmation_sent_at IS NULL OR confirmation_sent_at <= $5) AS due
         FROM subscribers WHERE email = $1
         FOR UPDATE
       ), asked AS (
         SELECT id AS newsletter_id FROM newsletters WHERE id = ANY($3::int[]) AND archived_at IS NULL
       ), created AS (
         INSERT INTO subscribers (email, name, status, confirmation_sent_at, updated_at)
         SELECT $1, $2, 'pending', $4, $4 WHERE EXISTS (SELECT 1 FROM asked)
         ON CONFLICT (email) DO NOTHING
         RETURNING id
       ), reopened AS (
         UPDATE subscribers s
         SET status = 'pending',
             confirmation_sent_at = CASE WHEN e.due THEN $4 ELSE s.confirmation_sent_at END,
             updated_at = $4
         FROM existing e
         WHERE s.id = e.id AND (e.due OR e.status = 'unsubscribed') AND EXISTS (SELECT 1 FROM asked)
         RETURNING s.id, e.due
       ), signed_up AS (
         SELECT id FROM created UNION ALL SELECT id FROM existing
       ), subscribed AS (
         INSERT INTO subscriptions (subscriber_id, newsletter_id, created_at)
         SELECT s.id, a.newsletter_id, $4 FROM signed_up s CROSS JOIN asked a
         ON CONFLICT (subscriber_id, newsletter_id) DO NOTHING
       ), left_behind AS (
         DELETE FROM subscriptions x USING existing e
         WHERE x.subscriber_id = e.id AND e.status = 'unsubscribed' AND x.newsletter_id <> ALL ($3::int[])
           AND EXISTS (SELECT 1 FROM asked)
       ), consent AS (
         INSERT INTO consents (subscriber_id, event, ip, user_agent, source, newsletter_id)
         SELECT s.id, 'signup', $6, $7, $8, a.newsletter_id FROM signed_up s CROSS JOIN asked a
       ), mail_request AS (
         INSERT INTO mail_requests (kind, subscriber_id)
         SELECT 'confirmation', id FROM (SELECT id FROM created UNION ALL SELECT id FROM reopened WHERE due) due
         RETURNING id
       )
       SELECT EXISTS (SELECT 1 FROM mail_request) AS queued`,
} as const;

/** Whether a statement wrote a mail request (the caller then wakes the relay). */
export interface QueuedRow {
  queued: boolean;
}

/**
 * "Email me a link to manage my subscription", whatever the address's state, in one statement.
 *
 * `asked` writes the address's row in `manage_requests` for every address, known or not: it is
 * the manage link's throttle (ON CONFLICT ... WHERE claims the slot for one request only, the
 * others wait on the row and find it taken), and it gives an unknown address the same work as a
 * known one, a write and its WAL flush at commit, so the time of the answer does not tell them
 * apart. Only a SHA-256 of the address is stored. A pg named statement, as SIGNUP: the same door
 * for strangers, measured beside it.
 *
 * $1 email, $2 now, $3 resend before.
 */
export const REQUEST_MANAGE_LINK = {
  name: 'subscribers.request-manage-link',
  text: `WITH asked AS (
         INSERT INTO manage_requests (address_hash, requested_at)
         VALUES (encode(sha256(convert_to($1, 'UTF8')), 'hex'), $2)
         ON CONFLICT (address_hash) DO UPDATE SET requested_at = EXCLUDED.requested_at
         WHERE manage_requests.requested_at <= $3
         RETURNING address_hash
       ), confirmation AS (
         UPDATE subscribers SET confirmation_sent_at = $2
         WHERE email = $1 AND status = 'pending' AND (confirmation_sent_at IS NULL OR confirmation_sent_at <= $3)
         RETURNING id
       ), manage_link AS (
         SELECT id FROM subscribers WHERE email = $1 AND status <> 'pending' AND EXISTS (SELECT 1 FROM asked)
       ), mail_request AS (
         INSERT INTO mail_requests (kind, subscriber_id)
         SELECT 'confirmation'::"MailRequestKind", id FROM confirmation
         UNION ALL SELECT 'manage_link'::"MailRequestKind", id FROM manage_link
         RETURNING id
       )
       SELECT EXISTS (SELECT 1 FROM mail_request) AS queued`,
} as const;

/**
 * A confirmation email again for a pending subscriber (the "send it again" button), unless one
 * was requested at or after $3. The throttle's compare-and-set and the mail request are one
 * statement, so two requests at once cannot both win, and the email exists exactly when the claim
 * does. Writes the row count of the INSERT: 1 when queued.
 *
 * $1 subscriber id, $2 now, $3 resend before.
 */
export const REQUEST_CONFIRMATION = `WITH claimed AS (
        UPDATE subscribers SET confirmation_sent_at = $2
        WHERE id = $1 AND status = 'pending'
          AND (confirmation_sent_at IS NULL OR confirmation_sent_at <= $3)
        RETURNING id
      )
      INSERT INTO mail_requests (kind, subscriber_id) SELECT 'confirmation', id FROM claimed`;

/**
 * Spends a single-use token: the conditions of a live token are in the UPDATE's WHERE, so two
 * clicks at once cannot both spend it (the second waits on the row, then finds it used), and
 * RETURNING says whom it stood for in the same round trip. The hash is unique (one index probe).
 *
 * $1 hash, $2 purpose, $3 now.
 */
export const SPEND_TOKEN = `UPDATE tokens SET used_at = $3
      WHERE hash = $1 AND purpose = $2::"TokenPurpose" AND used_at IS NULL AND expires_at > $3
      RETURNING subscriber_id`;
export interface SpentTokenRow {
  subscriber_id: Token['subscriberId'];
}

/**
 * Takes up to $1 mail requests, oldest first, and deletes them: the relay inserts their jobs in
 * the same transaction, so the delete commits exactly when the jobs do. SKIP LOCKED lets the
 * relays of several instances share the table without waiting on one another's rows.
 */
export const TAKE_MAIL_REQUESTS = `DELETE FROM mail_requests WHERE id IN (
           SELECT id FROM mail_requests ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
         ) RETURNING kind::text, subscriber_id`;
export interface TakenMailRequestRow {
  kind: MailRequest['kind'];
  subscriber_id: MailRequest['subscriberId'];
}

export type TakenMailRequest = Pick<MailRequest, 'kind' | 'subscriberId'>;

export function takenMailRequestFromRow(r: TakenMailRequestRow): TakenMailRequest {
  return { kind: r.kind, subscriberId: r.subscriber_id };
}

/**
 * The slugs and ids of the newsletters that are not archived: what a signup may name. Read on the
 * signup's path now and then (NewsletterChoices keeps them a few seconds), so a plain statement
 * on the pool rather than Prisma, which took 0.9 ms a call against 0.17 ms.
 */
export const ACTIVE_NEWSLETTERS = `SELECT id, slug FROM newsletters WHERE archived_at IS NULL`;
export type NamedNewsletterRow = Pick<Newsletter, 'id' | 'slug'>;

/**
 * The daily purge of signups never confirmed since $1 (their confirmation emails, if any, sent
 * before it too), in one transaction with REVERT_STALE_PENDING. SQL, not Prisma, though it touches
 * one table: every instance that runs jobs may run it, and a process's first Prisma query loads
 * Prisma's query compiler (src/accounts/account-queries.ts says what that cost a send). Deleting a
 * subscriber deletes its tokens, consents and subscriptions (foreign keys, ON DELETE CASCADE).
 */
const STALE_PENDING = `status = 'pending' AND created_at < $1 AND (confirmation_sent_at IS NULL OR confirmation_sent_at < $1)`;
export const DELETE_STALE_PENDING = `DELETE FROM subscribers WHERE ${STALE_PENDING} AND confirmed_at IS NULL`;
/** A former subscriber who signed up again and did not confirm goes back to unsubscribed ($2 now). */
export const REVERT_STALE_PENDING = `UPDATE subscribers SET status = 'unsubscribed', updated_at = $2
  WHERE ${STALE_PENDING} AND confirmed_at IS NOT NULL`;
/** Tokens expired before $1, and manage-link throttles older than it. */
export const DELETE_EXPIRED_TOKENS = `DELETE FROM tokens WHERE expires_at < $1`;
export const DELETE_OLD_MANAGE_REQUESTS = `DELETE FROM manage_requests WHERE requested_at < $1`;
