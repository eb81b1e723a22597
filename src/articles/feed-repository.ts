import type { Database } from '../db/database';
import type { Feed, Prisma } from '../generated/prisma/client';
import type { FeedRules } from './feed-rules';

export type { Feed } from '../generated/prisma/client';

/** The feeds table: Prisma, a row or the whole (short) list per call; the poll's read is SQL (see active()). */
export class FeedRepository {
  constructor(private readonly deps: { db: Database }) {}

  private get feeds() {
    return this.deps.db.prisma.feed;
  }

  /** Every feed, oldest first, with how many stored articles it brought (the articles.feed_id index counts them). */
  async listWithCounts(): Promise<Array<Feed & { articleCount: number }>> {
    const rows = await this.feeds.findMany({ orderBy: { id: 'asc' }, include: { _count: { select: { articles: true } } } });
    return rows.map(({ _count, ...feed }) => ({ ...feed, articleCount: _count.articles }));
  }

  /**
   * The feeds a poll fetches: all but the paused ones. SQL on the pool, not Prisma: every instance
   * runs this poll every few minutes, and with no feed it is the poll's only query; the first
   * Prisma query of a process loads Prisma's query compiler (+35-47 MB RSS, see
   * src/newsletters/newsletter-queries.ts), which a process that only sends never needs.
   */
  async active(): Promise<Feed[]> {
    const { rows } = await this.deps.db.pool.query<FeedRow>(ACTIVE_FEEDS);
    return rows.map(feedFromRow);
  }

  findById(id: number): Promise<Feed | null> {
    return this.feeds.findUnique({ where: { id } });
  }

  /** Adds the URLs not yet listed (ON CONFLICT DO NOTHING: instances starting together add each once); how many were new. */
  async addMissing(urls: readonly string[]): Promise<number> {
    const { count } = await this.feeds.createMany({ data: urls.map((url) => ({ url })), skipDuplicates: true });
    return count;
  }

  findByUrl(url: string): Promise<Feed | null> {
    return this.feeds.findUnique({ where: { url } });
  }

  /** Null when the feed is gone (removed meanwhile). */
  async update(id: number, data: { pausedAt?: Date | null; rules?: FeedRules }): Promise<Feed | null> {
    const { count } = await this.feeds.updateMany({
      where: { id },
      data: {
        pausedAt: data.pausedAt,
        ...(data.rules && { categoryMap: data.rules.categoryMap as unknown as Prisma.InputJsonArray, breakingCategories: data.rules.breakingCategories }),
      },
    });
    return count ? this.findById(id) : null;
  }

  /** What the last poll found; a feed removed during its poll is left removed. */
  async recordPoll(id: number, at: Date, error: string | null): Promise<void> {
    await this.feeds.updateMany({ where: { id }, data: { lastPolledAt: at, lastError: error?.slice(0, 500) ?? null } });
  }

  /** The removed feed, or null if there was none; its articles stay (feed_id becomes null). */
  async delete(id: number): Promise<Feed | null> {
    const feed = await this.findById(id);
    if (!feed) return null;
    const { count } = await this.feeds.deleteMany({ where: { id } });
    return count ? feed : null;
  }
}

/** The active feeds, oldest first (a short table: no index needed). */
const ACTIVE_FEEDS = `SELECT id, url, paused_at, category_map, breaking_categories, last_polled_at, last_error, created_at
  FROM feeds WHERE paused_at IS NULL ORDER BY id`;

interface FeedRow {
  id: number;
  url: string;
  paused_at: Date | null;
  category_map: Feed['categoryMap'];
  breaking_categories: string[] | null;
  last_polled_at: Date | null;
  last_error: string | null;
  created_at: Date;
}

function feedFromRow(r: FeedRow): Feed {
  return {
    id: r.id,
    url: r.url,
    pausedAt: r.paused_at,
    categoryMap: r.category_map,
    breakingCategories: r.breaking_categories ?? [],
    lastPolledAt: r.last_polled_at,
    lastError: r.last_error,
    createdAt: r.created_at,
  };
}
