import { Router, type Response } from 'express';
import { z } from 'zod';
import { CURATION_MOVES, type CurationMove } from '../../digests/edition-curation';
import type { CuratedNewsletter, CurationChange, EditionCurator } from '../../digests/edition-curator';
import { AppError } from '../../shared/errors';
import { MAX_ROW_ID } from '../../shared/row-id';
import { actorIn } from '../admin-auth';
import type { Pages } from '../pages';
import { sendConsolePage } from './console-pages';
import { setFlash } from './console-session';
import { dateTime, sendableNewsletter, type Newsroom } from './newsroom';

const versionSchema = z.coerce.number().int().min(0).max(MAX_ROW_ID);
/** What a button of the page asks: `save`, or a move of one article (`up:123`). */
const doSchema = z.union([
  z.literal('save'),
  z.string().regex(new RegExp(`^(${CURATION_MOVES.join('|')}):\\d{1,10}$`)).transform((s) => {
    const [kind, id] = s.split(':');
    return { kind: kind as CurationMove, articleId: Number(id) };
  }),
]);

/** What the flash says after a move (the article's title in quotes). */
const MOVED: Record<CurationMove, (title: string) => string> = {
  up: (t) => `“${t}” moved up.`,
  down: (t) => `“${t}” moved down.`,
  pin: (t) => `“${t}” is pinned: it stays at the top, whatever arrives later.`,
  unpin: (t) => `“${t}” is no longer pinned.`,
  drop: (t) => `“${t}” is dropped from the next edition.`,
  restore: (t) => `“${t}” is back in the next edition.`,
};

/**
 * Curating a digest newsletter's next edition (editors and admins): the page with the window's
 * articles as the edition will hold them, and one form whose buttons each save the note as typed
 * and one move. Works without scripts; every change is a POST, a 303 and a flash.
 */
export function curationRouter(deps: Newsroom & { pages: Pages; secureCookies: boolean }): Router {
  const router = Router();
  const { pages, curator } = deps;

  const page = async (res: Response, newsletter: CuratedNewsletter, extra: { errors?: Record<string, string>; note?: string; conflict?: string } = {}, status = 200) => {
    const draft = await curator.draft(newsletter);
    const zone = new Intl.DateTimeFormat('en-GB', { timeZone: newsletter.timeZone, dateStyle: 'medium', timeStyle: 'short' });
    sendConsolePage(pages, res, 'edition-curation', {
      newsletter,
      draft,
      nextSlot: draft.nextSlot && { utc: dateTime(draft.nextSlot), local: `${zone.format(draft.nextSlot)} ${newsletter.timeZone}` },
      savedAt: draft.next.curation && dateTime(draft.next.curation.updatedAt),
      note: extra.note ?? draft.next.curation?.note ?? '',
      errors: extra.errors ?? {},
      conflict: extra.conflict,
    }, status);
  };
  const path = (n: CuratedNewsletter) => `/admin/newsletters/${n.slug}/next`;

  router.get('/admin/newsletters/:slug/next', async (req, res) => {
    await page(res, await sendableNewsletter(deps.newsletters, req.params.slug));
  });

  router.post('/admin/newsletters/:slug/next', async (req, res) => {
    const newsletter = await sendableNewsletter(deps.newsletters, req.params.slug);
    const note = typeof req.body?.note === 'string' ? req.body.note : '';
    const version = versionSchema.safeParse(req.body?.version);
    const action = doSchema.safeParse(req.body?.do);
    if (!version.success || !action.success) {
      return page(res, newsletter, { note, errors: { articles: 'This form was not understood: nothing was saved. Use the buttons of this page.' } }, 400);
    }
    const change: CurationChange = { version: version.data, note, ...(action.data === 'save' ? {} : { move: action.data }) };
    const title = await refused(res, newsletter, note, () => curator.change(actorIn(res), newsletter, change));
    if (title === refusedAlready) return;
    const moved = change.move;
    setFlash(res, { kind: 'ok', text: moved ? MOVED[moved.kind](title ?? '') : `Saved: the next edition of ${newsletter.name} goes out as arranged here.` }, deps.secureCookies);
    res.redirect(303, moved ? `${path(newsletter)}#article-${moved.articleId}` : path(newsletter));
  });

  router.post('/admin/newsletters/:slug/next/reset', async (req, res) => {
    const newsletter = await sendableNewsletter(deps.newsletters, req.params.slug);
    const version = versionSchema.safeParse(req.body?.version);
    if (!version.success) return page(res, newsletter, { errors: { articles: 'This form was not understood: nothing was reset.' } }, 400);
    const done = await refused(res, newsletter, undefined, () => curator.reset(actorIn(res), newsletter, version.data));
    if (done === refusedAlready) return;
    const text = done ? `The next edition of ${newsletter.name} is back to as composed: newest first, no note.` : 'There was nothing to reset: the next edition goes out as composed.';
    setFlash(res, { kind: done ? 'ok' : 'warn', text }, deps.secureCookies);
    res.redirect(303, path(newsletter));
  });

  const refusedAlready = Symbol('refused');
  /** Runs a change; a refusal shows the page again as it is now, with the note as typed and why (400, or 409 for a stale page). */
  async function refused<T>(res: Response, newsletter: CuratedNewsletter, note: string | undefined, change: () => Promise<T>): Promise<T | typeof refusedAlready> {
    try {
      return await change();
    } catch (err) {
      if (!(err instanceof AppError) || (err.code !== 'VALIDATION' && err.code !== 'CONFLICT')) throw err;
      if (err.code === 'CONFLICT') await page(res, newsletter, { note, conflict: err.message }, 409);
      else await page(res, newsletter, { note, errors: err.details.fields ?? {} }, 400);
      return refusedAlready;
    }
  }

  return router;
}
