import type pg from 'pg';
import type { Queryable } from './delivery-ledger';
import type { Frequency } from '../shared/frequency';
import type { DigestArticle } from './digest-renderer';

export interface StoredDigest {
  id: number;
  frequency: Frequency;
  editionAt: Date;
  publicId: string;
  subject: string;
  html: string;
  text: string;
  status: string;
}

export interface DigestSummary {
  id: number;
  publicId: string;
  frequency: Frequency;
  editionAt: Date;
  windowStart: Date;
  windowEnd: Date;
  subject: string;
  articleCount: number;
  status: string;
  createdAt: Date;
  completedAt: Date | null;
  counts: Record<'pending' | 'sending' | 'sent' | 'failed' | 'skipped', number>;
}

/**
 * Reads and writes of digests and the articles they are made of. Plain SQL on the shared pool: the
 * composer needs the digest row and its ledger in one transaction, and articles are read with our
 * own query so the ingestion code stays free to change.
 */
export class DigestRepository {
  constructor(private readonly deps: { pool: pg.Pool }) {}

  /** The newest edition of a frequency at or before `at` (its window end starts the next window). */
  async previousEdition(frequency: Frequency, before: Date): Promise<{ editionAt: Date; windowEnd: Date } | undefined> {
    const { rows } = await this.deps.pool.query<{ edition_at: Date; window_end: Date }>(
      `SELECT edition_at, window_end FROM digests WHERE frequency = $1::"Frequency" AND edition_at < $2
        ORDER BY edition_at DESC LIMIT 1`,
      [frequency, before],
    );
    const row = rows[0];
    return row && { editionAt: row.edition_at, windowEnd: row.window_end };
  }

  /** Where the newest window of any frequency ends: articles after it are in every next edition. */
  async latestWindowEnd(): Promise<Date | undefined> {
    const { rows } = await this.deps.pool.query<{ end: Date | null }>(`SELECT max(window_end) AS end FROM digests`);
    return rows[0]?.end ?? undefined;
  }

  async hasEditionAtOrAfter(frequency: Frequency, at: Date): Promise<boolean> {
    const { rowCount } = await this.deps.pool.query(
      `SELECT 1 FROM digests WHERE frequency = $1::"Frequency" AND edition_at >= $2 LIMIT 1`,
      [frequency, at],
    );
    return (rowCount ?? 0) > 0;
  }

  /** Articles published in (start, end], newest first. */
  async articlesIn(start: Date, end: Date, limit: number): Promise<DigestArticle[]> {
    const { rows } = await this.deps.pool.query(
      `SELECT id, title, url, summary, author, image_url, published_at, categories FROM articles
        WHERE published_at > $1 AND published_at <= $2
        ORDER BY published_at DESC, id DESC LIMIT $3`,
      [start, end, limit],
    );
    return rows.map((r) => ({
      id: r.id,
      title: r.title,
      url: r.url,
      summary: r.summary,
      author: r.author,
      imageUrl: r.image_url,
      publishedAt: r.published_at,
      categories: r.categories ?? [],
    }));
  }

  /** Inserts the digest unless its slot already has one (then undefined: someone else made it). */
  async insertIfAbsent(
    tx: Queryable,
    d: Omit<StoredDigest, 'id' | 'status'> & { windowStart: Date; windowEnd: Date; articleIds: number[] },
  ): Promise<number | undefined> {
    const { rows } = await tx.query<{ id: number }>(
      `INSERT INTO digests (frequency, edition_at, window_start, window_end, public_id, subject, html, text, article_ids)
       VALUES ($1::"Frequency", $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (frequency, edition_at) DO NOTHING
       RETURNING id`,
      [d.frequency, d.editionAt, d.windowStart, d.windowEnd, d.publicId, d.subject, d.html, d.text, d.articleIds],
    );
    return rows[0]?.id;
  }

  async byId(id: number): Promise<StoredDigest | undefined> {
    return this.one(`WHERE id = $1`, [id]);
  }

  async byPublicId(publicId: string): Promise<StoredDigest | undefined> {
    return this.one(`WHERE public_id = $1`, [publicId]);
  }

  /** Newest first, with the ledger counted per status (one grouped query, no rows loaded). */
  async list(limit: number): Promise<DigestSummary[]> {
    const { rows } = await this.deps.pool.query(
      `SELECT g.id, g.public_id, g.frequency::text AS frequency, g.edition_at, g.window_start, g.window_end, g.subject,
              cardinality(g.article_ids) AS article_count, g.status::text AS status, g.created_at, g.completed_at,
              coalesce(c.pending, 0) AS pending, coalesce(c.sending, 0) AS sending, coalesce(c.sent, 0) AS sent,
              coalesce(c.failed, 0) AS failed, coalesce(c.skipped, 0) AS skipped
         FROM (SELECT * FROM digests ORDER BY edition_at DESC, id DESC LIMIT $1) g
         LEFT JOIN LATERAL (
           SELECT count(*) FILTER (WHERE status = 'pending')::int AS pending,
                  count(*) FILTER (WHERE status = 'sending')::int AS sending,
                  count(*) FILTER (WHERE status = 'sent')::int AS sent,
                  count(*) FILTER (WHERE status = 'failed')::int AS failed,
                  count(*) FILTER (WHERE status = 'skipped')::int AS skipped
             FROM deliveries WHERE digest_id = g.id) c ON true
        ORDER BY g.edition_at DESC, g.id DESC`,
      [limit],
    );
    return rows.map((r) => ({
      id: r.id,
      publicId: r.public_id,
      frequency: r.frequency,
      editionAt: r.edition_at,
      windowStart: r.window_start,
      windowEnd: r.window_end,
      subject: r.subject,
      articleCount: r.article_count,
      status: r.status,
      createdAt: r.created_at,
      completedAt: r.completed_at,
      counts: { pending: r.pending, sending: r.sending, sent: r.sent, failed: r.failed, skipped: r.skipped },
    }));
  }

  private async one(where: string, params: unknown[]): Promise<StoredDigest | undefined> {
    const { rows } = await this.deps.pool.query(
      `SELECT id, frequency::text AS frequency, edition_at, public_id, subject, html, text, status::text AS status
         FROM digests ${where}`,
      params,
    );
    const r = rows[0];
    return (
      r && {
        id: r.id,
        frequency: r.frequency,
        editionAt: r.edition_at,
        publicId: r.public_id,
        subject: r.subject,
        html: r.html,
        text: r.text,
        status: r.status,
      }
    );
  }
}
