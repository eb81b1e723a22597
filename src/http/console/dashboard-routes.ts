import { Router } from 'express';
import type { Pages } from '../pages';
import { sendConsolePage } from './console-pages';
import { dayChart } from './day-chart';
import { clockTime, dateTime, progressOf, type Newsroom } from './newsroom';

/** The editions the dashboard shows with their progress. */
const LAST_EDITIONS = 5;

/**
 * The dashboard: subscribers by state and newsletter and the 30 days' chart from the statistics
 * kept every minute (one row read, whatever the number of subscribers), and the last editions'
 * progress from the ledger's index.
 */
export function dashboardRouter(deps: Pick<Newsroom, 'statistics' | 'newsletters' | 'repository'> & { pages: Pages }): Router {
  const router = Router();
  router.get('/admin', async (_req, res) => {
    const [counts, newsletters, editions] = await Promise.all([
      deps.statistics.current(),
      deps.newsletters.all(),
      deps.repository.list(LAST_EDITIONS),
    ]);
    const byNewsletter = new Map(counts.newsletters.map((c) => [c.newsletterId, c]));
    sendConsolePage(deps.pages, res, 'dashboard', {
      countedAt: clockTime(counts.countedAt),
      states: counts.subscribers,
      total: Object.values(counts.subscribers).reduce((n, v) => n + v, 0),
      newsletters: newsletters.map((n) => ({
        slug: n.slug,
        name: n.name,
        archived: n.archivedAt !== null,
        confirmed: byNewsletter.get(n.id)?.confirmed ?? 0,
        pending: byNewsletter.get(n.id)?.pending ?? 0,
      })),
      chart: dayChart(counts.days),
      editions: editions.map((e) => ({ ...e, when: dateTime(e.editionAt), progress: progressOf(e.counts) })),
    });
  });
  return router;
}
