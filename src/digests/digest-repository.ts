import type pg from 'pg';
import type { Digest } from '../generated/prisma/client';
import type { Queryable } from '../db/transaction';
import { categoryKey } from '../shared/categories';
import type { DigestArticle } from './digest-renderer';
import {
  ARTICLES_IN_WINDOW,
  DIGEST_BY_ID,
  DIGEST_BY_PUBLIC_ID,
  EDITION_AT_OR_AFTER,
  INSERT_DIGEST_IF_ABSENT,
  LATEST_WINDOW_END,
  DIGEST_WITH_COUNTS,
  LIST_DIGESTS_WITH_COUNTS,
  PAGE_DIGESTS_WITH_COUNTS,
  PREVIOUS_EDITION,
  digestSummaryFromRow,
  storedDigestFromRow,
  windowArticleFromRow,
  type DigestSummary,
  type DigestSummaryRow,
  type LatestWindowEndRow,
  type PreviousEditionRow,
  type StoredDigest,
  type StoredDigestRow,
  type WindowArticleRow,
} from './digest-queries';

export type { DigestSummary, EditionNewsletter, StoredDigest } from './digest-queries';

/** What an edition is stored with. */
export type NewEdition = Pick<
  Digest,
  'newsletterId' | 'editionKey' | 'editionAt' | 'windowStart' | 'windowEnd' | 'publicId' | 'subject' | 'html' | 'text' | 'articleIds'
>;

/**
 * Reads and writes of digests and the articles they are made of: the named statements of
 * digest-queries.ts on the shared pool (why SQL there, and not Prisma, is said in that file).
 */
export class DigestRepository {
  constructor(private readonly deps: { pool: pg.Pool }) {}

  /** The newest edition of a newsletter before `before` (its window end starts the next window). */
  async previousEdition(newsletterId: number, before: Date, db: Queryable = this.deps.pool): Promise<{ editionAt: Date; windowEnd: Date } | undefined> {
    const { rows } = await db.query<PreviousEditionRow>(PREVIOUS_EDITION, [newsletterId, before]);
    const row = rows[0];
    return row && { editionAt: row.edition_at, windowEnd: row.window_end };
  }

  /** Where the newest window of any newsletter ends: articles after it are in every next edition. */
  async latestWindowEnd(): Promise<Date | undefined> {
    const { rows } = await this.deps.pool.query<LatestWindowEndRow>(LATEST_WINDOW_END);
    return rows[0]?.end ?? undefined;
  }

  async hasEditionAtOrAfter(newsletterId: number, at: Date, db: Queryable = this.deps.pool): Promise<boolean> {
    const { rowCount } = await db.query(EDITION_AT_OR_AFTER, [newsletterId, at]);
    return (rowCount ?? 0) > 0;
  }

  /** Articles published in (start, end], newest first, carrying one of `categories` (any case; none: all). */
  async articlesIn(start: Date, end: Date, limit: number, categories: readonly string[] = [], db: Queryable = this.deps.pool): Promise<DigestArticle[]> {
    const wanted = categories.map(categoryKey).filter(Boolean);
    const { rows } = await db.query<WindowArticleRow>(ARTICLES_IN_WINDOW, [start, end, limit, wanted]);
    return rows.map(windowArticleFromRow);
  }

  /** Inserts the edition unless its newsletter has one of its key (then undefined: someone else made it). */
  async insertIfAbsent(tx: Queryable, d: NewEdition): Promise<number | undefined> {
    const { rows } = await tx.query<{ id: number }>(INSERT_DIGEST_IF_ABSENT, [
      d.newsletterId,
      d.editionKey,
      d.editionAt,
      d.windowStart,
      d.windowEnd,
      d.publicId,
      d.subject,
      d.html,
      d.text,
      d.articleIds,
    ]);
    return rows[0]?.id;
  }

  async byId(id: number): Promise<StoredDigest | undefined> {
    const { rows } = await this.deps.pool.query<StoredDigestRow>(DIGEST_BY_ID, [id]);
    return rows[0] && storedDigestFromRow(rows[0]);
  }

  async byPublicId(publicId: string): Promise<StoredDigest | undefined> {
    const { rows } = await this.deps.pool.query<StoredDigestRow>(DIGEST_BY_PUBLIC_ID, [publicId]);
    return rows[0] && storedDigestFromRow(rows[0]);
  }

  /** Newest first, with the ledger counted per status (one grouped query, no rows loaded). */
  async list(limit: number): Promise<DigestSummary[]> {
    const { rows } = await this.deps.pool.query<DigestSummaryRow>(LIST_DIGESTS_WITH_COUNTS, [limit]);
    return rows.map(digestSummaryFromRow);
  }

  /**
   * A page of editions, newest first, of one newsletter or all, after `after` (the last edition of
   * the previous page). One more row than asked is read, to know whether another page follows.
   */
  async page(opts: { limit: number; newsletterId?: number; after?: EditionCursor }): Promise<{ editions: DigestSummary[]; next?: EditionCursor }> {
    const { rows } = await this.deps.pool.query<DigestSummaryRow>(PAGE_DIGESTS_WITH_COUNTS, [
      opts.limit + 1,
      opts.newsletterId ?? null,
      opts.after?.editionAt ?? null,
      opts.after?.id ?? null,
    ]);
    const editions = rows.slice(0, opts.limit).map(digestSummaryFromRow);
    const last = editions[editions.length - 1];
    return rows.length > opts.limit && last ? { editions, next: { editionAt: last.editionAt, id: last.id } } : { editions };
  }

  /** One edition with its ledger counted per status. */
  async summary(id: number): Promise<DigestSummary | undefined> {
    const { rows } = await this.deps.pool.query<DigestSummaryRow>(DIGEST_WITH_COUNTS, [id]);
    return rows[0] && digestSummaryFromRow(rows[0]);
  }
}

/** Where a page of editions continues: after this edition (in edition time, then id, descending). */
export interface EditionCursor {
  editionAt: Date;
  id: number;
}
