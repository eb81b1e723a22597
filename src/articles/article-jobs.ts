import { ensureQueue, type PgBoss } from '../jobs/job-queue';
import type { Logger } from '../shared/logger';
import type { FeedPoller } from './feed-poller';
import type { FeedService } from './feed-service';

export const POLL_FEEDS_QUEUE = 'articles-poll-feeds';

/**
 * Feed polling as a pg-boss cron: each slot fires once across all instances, whichever instance
 * picks the job does the work. The schedule stays even with no feed: the console may add one at
 * any time, and a poll reads the active feeds from the database (none: nothing fetched).
 * Resolves to the step that stops this process polling (its current poll finishes with the queue).
 */
export async function registerArticleJobs(deps: {
  boss: PgBoss;
  poller: FeedPoller;
  feeds: Pick<FeedService, 'pollActive'>;
  cron: string;
  logger: Logger;
}): Promise<() => Promise<void>> {
  const { boss, poller, feeds } = deps;
  await ensureQueue(boss, POLL_FEEDS_QUEUE, {
    // A poll is safe to repeat; a missed one is made up by the next slot.
    retryLimit: 1,
    // Feeds are fetched with a timeout, so a poll taking longer than this is stuck.
    expireInSeconds: 10 * 60,
  });
  await boss.schedule(POLL_FEEDS_QUEUE, deps.cron, null, { tz: 'UTC' });
  await boss.work(POLL_FEEDS_QUEUE, async () => {
    const results = await feeds.pollActive(poller);
    const failed = results.filter((r) => !r.ok).length;
    deps.logger.info({ feeds: results.length, failed }, 'feeds polled');
  });
  return () => boss.offWork(POLL_FEEDS_QUEUE, { wait: false });
}
