import type { Article, Digest, DeliveryStatus, Newsletter } from '../generated/prisma/client';

/**
 * The digest area's SQL (tables `digests`, and `articles` as an edition reads them), one named
 * statement each, with the row types they return and one mapping per row kind to the types the
 * Prisma client declares. The ledger's statements (`deliveries`) live in delivery-queries.ts.
 *
 * Why SQL and not Prisma here: a digest row is written in the same transaction as its fan-out
 * (an INSERT ... SELECT over the whole list, which Prisma cannot express), on a connection the
 * composer holds; its reads sit beside that write so the area has one way in and one mapping.
 * Timestamps are UTC on both sides (see src/db/database.ts).
 */

/**
 * The newest edition of a newsletter before a time: its window end starts the next window.
 * Walks the (newsletter_id, edition_at) index backwards and stops at the first row.
 */
export const PREVIOUS_EDITION = `SELECT edition_at, window_end FROM digests WHERE newsletter_id = $1 AND edition_at < $2
        ORDER BY edition_at DESC LIMIT 1`;
export interface PreviousEditionRow {
  edition_at: Date;
  window_end: Date;
}

/** Where the newest window of any newsletter ends (one aggregate; NULL before the first edition). */
export const LATEST_WINDOW_END = `SELECT max(window_end) AS end FROM digests`;
export interface LatestWindowEndRow {
  end: Date | null;
}

/** Whether a slot, or a later one, has an edition: one index probe on (newsletter_id, edition_at). */
export const EDITION_AT_OR_AFTER = `SELECT 1 FROM digests WHERE newsletter_id = $1 AND edition_at >= $2 LIMIT 1`;

/**
 * Articles published in (start, end], newest first: an edition's window. The bounds are those of
 * the window (an article published at an edition's time belongs to that edition, not the next);
 * (published_at) is indexed, and `id` breaks ties so the order is the same on every read.
 * $4 is the newsletter's category filter, lower-cased: an empty one takes every article, else an
 * article needs one category equal to one of them without regard to case (a window holds hours or
 * days of articles, so the per-row check costs little next to the index range scan).
 */
export const ARTICLES_IN_WINDOW = `SELECT id, title, url, summary, author, image_url, published_at, categories FROM articles
        WHERE published_at > $1 AND published_at <= $2
          AND (cardinality($4::text[]) = 0 OR EXISTS (SELECT 1 FROM unnest(categories) c WHERE lower(c) = ANY ($4::text[])))
        ORDER BY published_at DESC, id DESC LIMIT $3`;
export interface WindowArticleRow {
  id: number;
  title: string;
  url: string;
  summary: string | null;
  author: string | null;
  image_url: string | null;
  published_at: Date;
  categories: string[] | null;
}
export type WindowArticle = Pick<Article, 'id' | 'title' | 'url' | 'summary' | 'author' | 'imageUrl' | 'publishedAt' | 'categories'>;

export function windowArticleFromRow(r: WindowArticleRow): WindowArticle {
  return {
    id: r.id,
    title: r.title,
    url: r.url,
    summary: r.summary,
    author: r.author,
    imageUrl: r.image_url,
    publishedAt: r.published_at,
    categories: r.categories ?? [],
  };
}

/**
 * Stores an edition unless its newsletter has one of that key (a digest's slot, an alert's
 * article): the unique (newsletter_id, edition_key) makes a second compose of the slot or the
 * article (another instance, a retried job, the article posted again) insert nothing and return no row. Runs in
 * the composer's transaction, before the fan-out that writes the edition's ledger.
 */
export const INSERT_DIGEST_IF_ABSENT = `INSERT INTO digests (newsletter_id, edition_key, edition_at, window_start, window_end, public_id, subject, html, text, article_ids)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (newsletter_id, edition_key) DO NOTHING
       RETURNING id`;

/**
 * One edition with what a sender or the web view needs, and its newsletter's name and sender
 * (the From, Reply-To and List-Id of its messages); by id or by public id (both unique).
 */
const STORED_DIGEST_COLUMNS = `SELECT g.id, g.newsletter_id, n.slug AS newsletter_slug, n.name AS newsletter_name, n.from_name, n.reply_to,
              g.edition_at, g.public_id, g.subject, g.html, g.text, g.status::text AS status
         FROM digests g JOIN newsletters n ON n.id = g.newsletter_id`;
export const DIGEST_BY_ID = `${STORED_DIGEST_COLUMNS} WHERE g.id = $1`;
export const DIGEST_BY_PUBLIC_ID = `${STORED_DIGEST_COLUMNS} WHERE g.public_id = $1`;

export type StoredDigest = Pick<Digest, 'id' | 'newsletterId' | 'editionAt' | 'publicId' | 'subject' | 'html' | 'text' | 'status'> & {
  newsletter: EditionNewsletter;
};
/** What an edition's messages and pages show of its newsletter. */
export type EditionNewsletter = Pick<Newsletter, 'slug' | 'name' | 'fromName' | 'replyTo'>;
export interface StoredDigestRow {
  id: number;
  newsletter_id: number;
  newsletter_slug: string;
  newsletter_name: string;
  from_name: string | null;
  reply_to: string | null;
  edition_at: Date;
  public_id: string;
  subject: string;
  html: string;
  text: string;
  status: Digest['status'];
}

export function storedDigestFromRow(r: StoredDigestRow): StoredDigest {
  return {
    id: r.id,
    newsletterId: r.newsletter_id,
    newsletter: { slug: r.newsletter_slug, name: r.newsletter_name, fromName: r.from_name, replyTo: r.reply_to },
    editionAt: r.edition_at,
    publicId: r.public_id,
    subject: r.subject,
    html: r.html,
    text: r.text,
    status: r.status,
  };
}

/**
 * Editions with their ledger counted per status. The LIMIT applies to digests first (the
 * subquery `editions`); then, per edition, each state other than sent is one count over its range
 * of the (digest_id, status, subscriber_id) index, and sent is the rest of the recipients kept at
 * composition: a finished edition of a million readers costs four near-empty range scans instead
 * of a count of a million rows. An edition without `recipients` (only a row written by hand: the
 * migration 20261129180000 filled in the older ones) counts its sent rows (COALESCE evaluates that
 * subquery only for it). No delivery row is loaded.
 * This holds because the only rows deleted alone are 'sent' rows, of finished editions that have
 * `recipients`, by the retention job (ledger-retention.ts, LEDGER_KEEP_DAYS): a deleted sent row is
 * still counted as sent, so a shed edition shows the counts it showed before. Any other row lives as
 * long as its edition (an erasure keeps the reader's rows under a negated id, and deliveries have no
 * foreign key to subscribers since 20261129145344_lists_and_privacy); were a pending, failed or
 * skipped row deleted, it would be counted as sent.
 */
function withCounts(editions: string): string {
  const count = (status: DeliveryStatus) => `(SELECT count(*) FROM deliveries d WHERE d.digest_id = g.id AND d.status = '${status}')::int`;
  return `SELECT g.id, g.public_id, n.slug AS newsletter, g.edition_at, g.window_start, g.window_end, g.subject,
              cardinality(g.article_ids) AS article_count, g.status::text AS status, g.created_at, g.completed_at, g.shed_at,
              c.pending, c.sending, c.failed, c.skipped,
              coalesce(g.recipients - c.pending - c.sending - c.failed - c.skipped, ${count('sent')}) AS sent
         FROM (${editions}) g
         CROSS JOIN LATERAL (
           SELECT ${count('pending')} AS pending, ${count('sending')} AS sending,
                  ${count('failed')} AS failed, ${count('skipped')} AS skipped) c
         JOIN newsletters n ON n.id = g.newsletter_id
        ORDER BY g.edition_at DESC, g.id DESC`;
}

/** The newest editions, $1 of them. */
export const LIST_DIGESTS_WITH_COUNTS = withCounts(`SELECT * FROM digests ORDER BY edition_at DESC, id DESC LIMIT $1`);

/**
 * A page of editions, newest first, after the cursor ($3 edition time, $4 id: the last row of the
 * page before; NULL for the first page), of one newsletter ($2) or all (NULL). Keyset paging:
 * the row comparison continues exactly where the previous page stopped, whatever was added since.
 */
export const PAGE_DIGESTS_WITH_COUNTS = withCounts(`SELECT * FROM digests
        WHERE ($2::int IS NULL OR newsletter_id = $2)
          AND ($3::timestamp IS NULL OR (edition_at, id) < ($3::timestamp, $4::int))
        ORDER BY edition_at DESC, id DESC LIMIT $1`);

/** One edition ($1) with its counts: what the console's edition page polls. */
export const DIGEST_WITH_COUNTS = withCounts(`SELECT * FROM digests WHERE id = $1`);

export type DigestSummary = Pick<
  Digest,
  'id' | 'publicId' | 'editionAt' | 'windowStart' | 'windowEnd' | 'subject' | 'status' | 'createdAt' | 'completedAt'
> & {
  /** The slug of the edition's newsletter. */
  newsletter: string;
  articleCount: number;
  /** Deliveries of the edition in each state of the ledger. */
  counts: Record<DeliveryStatus, number>;
  /** When its sent delivery rows were removed (LEDGER_KEEP_DAYS); its counts are kept. Null: all rows kept. */
  shedAt: Date | null;
};
export type DigestSummaryRow = Record<DeliveryStatus, number> & {
  id: number;
  public_id: string;
  newsletter: string;
  edition_at: Date;
  window_start: Date;
  window_end: Date;
  subject: string;
  article_count: number;
  status: Digest['status'];
  created_at: Date;
  completed_at: Date | null;
  shed_at: Date | null;
};

export function digestSummaryFromRow(r: DigestSummaryRow): DigestSummary {
  return {
    id: r.id,
    publicId: r.public_id,
    newsletter: r.newsletter,
    editionAt: r.edition_at,
    windowStart: r.window_start,
    windowEnd: r.window_end,
    subject: r.subject,
    articleCount: r.article_count,
    status: r.status,
    createdAt: r.created_at,
    completedAt: r.completed_at,
    counts: { pending: r.pending, sending: r.sending, sent: r.sent, failed: r.failed, skipped: r.skipped },
    shedAt: r.shed_at,
  };
}
