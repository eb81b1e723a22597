import { z } from 'zod';
import type { Actor } from '../accounts/actor';
import type { AuditLog } from '../accounts/audit-log';
import { AppError, fieldErrors, validationError } from '../shared/errors';
import type { Clock } from '../shared/clock';
import type { Logger } from '../shared/logger';
import { httpUrl } from './article-input';
import type { FeedPoller, FeedResult } from './feed-poller';
import { safeUrl } from './feed-poller';
import type { Feed, FeedRepository } from './feed-repository';
import { parseFeedRules, storedRules, type FeedRules } from './feed-rules';

export interface FeedView {
  id: number;
  url: string;
  paused: boolean;
  rules: FeedRules;
  lastPolledAt: Date | null;
  lastError: string | null;
  articleCount: number;
  /** Listed in FEED_URLS: removed here, it comes back at the next start. */
  configured: boolean;
}

const newFeedSchema = z.object({ url: httpUrl });

/**
 * The feeds polled for articles, kept in the database: FEED_URLS seeds them at start, the console
 * adds, pauses, resumes, removes and maps them (each change in the audit log), and each poll reads
 * the active ones and records what it found on each.
 */
export class FeedService {
  private readonly configured: ReadonlySet<string>;

  constructor(private readonly deps: { feeds: FeedRepository; audit: Pick<AuditLog, 'record'>; clock: Clock; logger: Logger; configuredUrls: readonly string[] }) {
    this.configured = new Set(deps.configuredUrls);
  }

  /** At start: FEED_URLS that are not listed yet are added; none is ever removed from here. */
  async seed(): Promise<void> {
    if (this.configured.size === 0) return;
    const added = await this.deps.feeds.addMissing([...this.configured]);
    if (added) this.deps.logger.info({ added }, 'feeds added from FEED_URLS');
  }

  async list(): Promise<FeedView[]> {
    return (await this.deps.feeds.listWithCounts()).map((feed) => this.view(feed, feed.articleCount));
  }

  async get(id: number): Promise<FeedView> {
    const feed = (await this.deps.feeds.findById(id)) ?? notFound();
    return this.view(feed, 0);
  }

  async add(actor: Actor, input: unknown): Promise<Feed> {
    const parsed = newFeedSchema.safeParse(input ?? {});
    if (!parsed.success) throw validationError(fieldErrors(parsed.error));
    const { url } = parsed.data;
    if (!(await this.deps.feeds.addMissing([url]))) throw validationError({ url: 'is already in the list' });
    const feed = (await this.deps.feeds.findByUrl(url)) ?? notFound();
    await this.deps.audit.record(actor, 'feed_added', { type: 'feed', id: feed.id }, { url: safeUrl(url) });
    return feed;
  }

  async setPaused(actor: Actor, id: number, paused: boolean): Promise<Feed> {
    const feed = (await this.deps.feeds.update(id, { pausedAt: paused ? this.deps.clock.now() : null })) ?? notFound();
    await this.deps.audit.record(actor, paused ? 'feed_paused' : 'feed_resumed', { type: 'feed', id }, { url: safeUrl(feed.url) });
    return feed;
  }

  async remove(actor: Actor, id: number): Promise<FeedView> {
    const feed = (await this.deps.feeds.delete(id)) ?? notFound();
    await this.deps.audit.record(actor, 'feed_removed', { type: 'feed', id }, { url: safeUrl(feed.url) });
    return this.view(feed, 0);
  }

  async changeRules(actor: Actor, id: number, input: unknown): Promise<Feed> {
    const rules = parseFeedRules(input);
    const feed = (await this.deps.feeds.update(id, { rules })) ?? notFound();
    await this.deps.audit.record(actor, 'feed_mapping_changed', { type: 'feed', id }, {
      url: safeUrl(feed.url),
      categoryMap: rules.categoryMap.map((r) => `${r.from} = ${r.to}`),
      breakingCategories: rules.breakingCategories,
    });
    return feed;
  }

  /** One poll: every active feed as the database lists it now, each with its rules; what each found is recorded on it. */
  async pollActive(poller: Pick<FeedPoller, 'pollOne'>): Promise<FeedResult[]> {
    const feeds = await this.deps.feeds.active();
    return Promise.all(
      feeds.map(async (feed) => {
        const result = await poller.pollOne(feed.url, { id: feed.id, rules: storedRules(feed) });
        await this.deps.feeds.recordPoll(feed.id, this.deps.clock.now(), result.ok ? null : (result.error ?? 'failed'));
        return result;
      }),
    );
  }

  private view(feed: Feed, articleCount: number): FeedView {
    return {
      id: feed.id,
      url: feed.url,
      paused: feed.pausedAt !== null,
      rules: storedRules(feed),
      lastPolledAt: feed.lastPolledAt,
      lastError: feed.lastError,
      articleCount,
      configured: this.configured.has(feed.url),
    };
  }
}

function notFound(): never {
  throw new AppError('NOT_FOUND', 'No such feed');
}
