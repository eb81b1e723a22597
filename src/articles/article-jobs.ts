import { ensureQueue, type PgBoss } from '../jobs/job-queue';
import type { Logger } from '../shared/logger';
import type { FeedPoller } from './feed-poller';

export const POLL_FEEDS_QUEUE = 'articles-poll-feeds';

/**
 * Feed polling as a pg-boss cron: each slot fires once across all instances, whichever instance
 * picks the job does the work. Without FEED_URLS the schedule is removed, so an old one stops.
 * Resolves to the step that stops this process polling (its current poll finishes with the queue).
 */
export async function registerArticleJobs(deps: {
  boss: PgBoss;
  poller: FeedPoller;
  feedUrls: readonly string[];
  cron: string;
  logger: Logger;
}): Promise<() => Promise<void>> {
  const { boss, poller, feedUrls } = deps;
  await ensureQueue(boss, POLL_FEEDS_QUEUE, {
    // A poll is safe to repeat; a missed one is made up by the next slot.
    retryLimit: 1,
    // Feeds are fetched with a timeout, so a poll taking longer than this is stuck.
    expireInSeconds: 10 * 60,
  });
  if (feedUrls.length === 0) {
    await boss.unschedule(POLL_FEEDS_QUEUE);
    return async () => {};
  }
  await boss.schedule(POLL_FEEDS_QUEUE, deps.cron, null, { tz: 'UTC' });
  await boss.work(POLL_FEEDS_QUEUE, async () => {
    const results = await poller.pollAll(feedUrls);
    const failed = results.filter((r) => !r.ok).length;
    deps.logger.info({ feeds: results.length, failed }, 'feeds polled');
  });
  return () => boss.offWork(POLL_FEEDS_QUEUE, { wait: false });
}
