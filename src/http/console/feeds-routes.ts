import { Router, type Response } from 'express';
import { formatFeedRules } from '../../articles/feed-rules';
import type { FeedService } from '../../articles/feed-service';
import { AppError } from '../../shared/errors';
import { actorIn } from '../admin-auth';
import type { Pages } from '../pages';
import { idIn, sendConsolePage } from './console-pages';
import { setFlash, type Flash } from './console-session';

/**
 * Feeds (editors and admins): add, pause, resume and remove the feeds polled for articles, and map
 * each one's categories; each with its last poll, article count and last error.
 */
export function feedsRouter(deps: { feeds: FeedService; pages: Pages; secureCookies: boolean }): Router {
  const router = Router();
  const { feeds, pages } = deps;
  const done = (res: Response, kind: Flash['kind'], message: string, to = '/admin/feeds') => {
    setFlash(res, { kind, text: message }, deps.secureCookies);
    res.redirect(303, to);
  };

  const feedsPage = async (res: Response, extra: { values?: object; errors?: object } = {}, status = 200) => {
    sendConsolePage(pages, res, 'feeds', { feeds: await feeds.list(), values: {}, errors: {}, ...extra }, status);
  };

  router.get('/admin/feeds', async (_req, res) => {
    await feedsPage(res);
  });

  router.post('/admin/feeds', async (req, res) => {
    try {
      const feed = await feeds.add(actorIn(res), req.body);
      done(res, 'ok', `${feed.url} is added: the next poll fetches it.`);
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== 'VALIDATION') throw err;
      await feedsPage(res, { values: { url: req.body?.url }, errors: err.details.fields ?? {} }, 400);
    }
  });

  router.post('/admin/feeds/:id/pause', async (req, res) => {
    const feed = await feeds.setPaused(actorIn(res), idIn(req, 'feed'), true);
    done(res, 'ok', `${feed.url} is paused: it is not polled until you resume it.`);
  });

  router.post('/admin/feeds/:id/resume', async (req, res) => {
    const feed = await feeds.setPaused(actorIn(res), idIn(req, 'feed'), false);
    done(res, 'ok', `${feed.url} is resumed: the next poll fetches it.`);
  });

  router.post('/admin/feeds/:id/remove', async (req, res) => {
    const feed = await feeds.remove(actorIn(res), idIn(req, 'feed'));
    // FEED_URLS adds what is missing at every start: say so, rather than let it come back unexplained.
    if (feed.configured) {
      done(res, 'warn', `${feed.url} is removed, but it is in FEED_URLS: it comes back at the next start unless it is taken out there. Pause it to stop it for good.`);
    } else done(res, 'ok', `${feed.url} is removed; its articles stay.`);
  });

  router.get('/admin/feeds/:id', async (req, res) => {
    const feed = await feeds.get(idIn(req, 'feed'));
    sendConsolePage(pages, res, 'feed', { feed, values: formatFeedRules(feed.rules), errors: {} });
  });

  router.post('/admin/feeds/:id', async (req, res) => {
    const id = idIn(req, 'feed');
    try {
      const feed = await feeds.changeRules(actorIn(res), id, req.body);
      done(res, 'ok', `The categories of ${feed.url} are saved: the next poll files its items so.`, `/admin/feeds/${id}`);
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== 'VALIDATION') throw err;
      const values = { categoryMap: String(req.body?.categoryMap ?? ''), breakingCategories: String(req.body?.breakingCategories ?? '') };
      sendConsolePage(pages, res, 'feed', { feed: await feeds.get(id), values, errors: err.details.fields ?? {} }, 400);
    }
  });

  return router;
}
