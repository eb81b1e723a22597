import { Prisma, type Article } from '../generated/prisma/client';
import type { Database } from '../db/database';

export type { Article } from '../generated/prisma/client';

/** An article's own fields, as stored (plain text, absolute URLs, a date always set). */
export interface ArticleData {
  sourceId: string;
  title: string;
  url: string;
  summary: string | null;
  author: string | null;
  imageUrl: string | null;
  publishedAt: Date;
  categories: string[];
  /** Breaking news; left out (undefined), a write keeps the stored flag (a new article: false). */
  breaking?: boolean;
  /** The feed that brought it; left out, a write keeps the stored one. */
  feedId?: number;
}

/** What a write did: `becameBreaking` when the article is breaking now and was not before (or is new). */
export interface ArticleWrite {
  article: Article;
  becameBreaking: boolean;
}

export type UpsertOutcome = 'created' | 'updated' | 'unchanged';

export type ArticleOrder = 'published' | 'id';

export interface ArticlePageQuery {
  limit: number;
  order: ArticleOrder;
  /** order 'id': the last id seen; order 'published': the last (publishedAt, id) seen. */
  after?: { id: number; publishedAt?: Date };
  /** order 'published' only: titles containing these characters (any case; the console's search). */
  titleContains?: string;
  /** order 'published' only: breaking articles only. */
  breakingOnly?: boolean;
}

/** Thrown when a write would give two articles the same sourceId. */
export class DuplicateSourceIdError extends Error {
  constructor() {
    super('Another article already has this sourceId');
    this.name = 'DuplicateSourceIdError';
  }
}

/**
 * The articles area's access to the database: Prisma only, one table, a row or a page per call.
 * An edition reads the articles of its window with the digest area's own statement
 * (ARTICLES_IN_WINDOW in src/digests/digest-queries.ts), beside the writes of that edition.
 */
export class ArticleRepository {
  constructor(private readonly deps: { db: Database }) {}

  private get articles() {
    return this.deps.db.prisma.article;
  }

  /**
   * Insert, or update when the sourceId exists. Unchanged rows are not written, so a feed polled
   * every 15 minutes does not touch updatedAt of items that did not change.
   */
  async upsertBySourceId(data: ArticleData): Promise<ArticleWrite & { outcome: UpsertOutcome }> {
    for (let attempt = 0; ; attempt++) {
      const existing = await this.articles.findUnique({ where: { sourceId: data.sourceId } });
      if (existing) {
        if (sameContent(existing, data)) return { article: existing, outcome: 'unchanged', becameBreaking: false };
        const article = await this.articles.update({ where: { id: existing.id }, data });
        return { article, outcome: 'updated', becameBreaking: article.breaking && !existing.breaking };
      }
      try {
        const article = await this.articles.create({ data });
        return { article, outcome: 'created', becameBreaking: article.breaking };
      } catch (err) {
        // Two writers raced on a new sourceId: the loser reads the winner's row and updates it.
        if (!isUniqueViolation(err) || attempt > 0) throw err;
      }
    }
  }

  findById(id: number): Promise<Article | null> {
    return this.articles.findUnique({ where: { id } });
  }

  /** Null when no such id; DuplicateSourceIdError when sourceId belongs to another article. */
  async update(id: number, data: Partial<ArticleData>): Promise<ArticleWrite | null> {
    try {
      // Read first only when the write may turn the flag on. Two writers racing may both report
      // becameBreaking, which is harmless: an alert is made once per article and newsletter.
      const wasBreaking = data.breaking === true ? (await this.articles.findUnique({ where: { id }, select: { breaking: true } }))?.breaking : true;
      const article = await this.articles.update({ where: { id }, data });
      return { article, becameBreaking: article.breaking && wasBreaking === false };
    } catch (err) {
      if (isNotFound(err)) return null;
      if (isUniqueViolation(err)) throw new DuplicateSourceIdError();
      throw err;
    }
  }

  async delete(id: number): Promise<boolean> {
    const { count } = await this.articles.deleteMany({ where: { id } });
    return count > 0;
  }

  /** Keyset paging (never offset): stable while articles arrive between pages. */
  list(query: ArticlePageQuery): Promise<Article[]> {
    if (query.order === 'id') {
      return this.articles.findMany({
        where: query.after ? { id: { gt: query.after.id } } : {},
        orderBy: { id: 'asc' },
        take: query.limit,
      });
    }
    const after = query.after;
    return this.articles.findMany({
      where: {
        // (publishedAt, id) before the cursor, said so that the first condition bounds the walk of
        // the (published_at, id) index and the second drops the few rows of the cursor's own time.
        ...(after?.publishedAt !== undefined && {
          publishedAt: { lte: after.publishedAt },
          OR: [{ publishedAt: { lt: after.publishedAt } }, { id: { lt: after.id } }],
        }),
        // ILIKE '%…%', which the pg_trgm index on title answers; Prisma leaves LIKE's wildcards
        // unescaped, so a typed % or _ is escaped to mean itself.
        ...(query.titleContains && { title: { contains: query.titleContains.replace(/[\\%_]/g, '\\$&'), mode: 'insensitive' as const } }),
        ...(query.breakingOnly && { breaking: true }),
      },
      orderBy: [{ publishedAt: 'desc' }, { id: 'desc' }],
      take: query.limit,
    });
  }
}

function sameContent(row: Article, data: ArticleData): boolean {
  return (
    row.title === data.title &&
    row.url === data.url &&
    row.summary === data.summary &&
    row.author === data.author &&
    row.imageUrl === data.imageUrl &&
    row.publishedAt.getTime() === data.publishedAt.getTime() &&
    row.categories.length === data.categories.length &&
    row.categories.every((c, i) => c === data.categories[i]) &&
    (data.breaking === undefined || row.breaking === data.breaking) &&
    (data.feedId === undefined || row.feedId === data.feedId)
  );
}

function isUniqueViolation(err: unknown): boolean {
  return err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002';
}

function isNotFound(err: unknown): boolean {
  return err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2025';
}
