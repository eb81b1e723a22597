import { Router, type Response } from 'express';
import type { EditionCursor } from '../../digests/digest-repository';
import { AppError } from '../../shared/errors';
import { MAX_ROW_ID } from '../../shared/row-id';
import { actorIn } from '../admin-auth';
import type { Pages } from '../pages';
import { sendConsolePage } from './console-pages';
import { setFlash } from './console-session';
import { dateTime, progressOf, type Newsroom } from './newsroom';
import { pathId } from '../parse-input';

const PAGE_SIZE = 25;
/** `?after=<edition time>~<id>`: the last edition of the page before. */
const CURSOR = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)~(\d{1,10})$/;

/**
 * Editions: the list (newest first, a page at a time, one newsletter or all) and one edition with
 * live counts, its web version and "retry failed". The counts are also JSON
 * (`/admin/editions/:id/counts`), which the page's script polls while the edition sends.
 */
export function editionsRouter(deps: Pick<Newsroom, 'repository' | 'newsletters' | 'desk'> & { pages: Pages; secureCookies: boolean }): Router {
  const router = Router();
  const { pages } = deps;

  router.get('/admin/editions', async (req, res) => {
    const newsletters = await deps.newsletters.all();
    const slug = typeof req.query.newsletter === 'string' ? req.query.newsletter : '';
    const newsletter = slug ? newsletters.find((n) => n.slug === slug) : undefined;
    const after = cursorOf(req.query.after);
    const listPage = (status: number, extra: object) =>
      sendConsolePage(pages, res, 'editions', { newsletters, slug, editions: [], errors: {}, first: after !== undefined, ...extra }, status);
    if (slug && !newsletter) return listPage(400, { errors: { newsletter: `No newsletter "${slug}": choose one from the list` } });
    if (after === null) return listPage(400, { errors: { after: 'This page link is damaged: start again from the newest editions' } });
    const page = await deps.repository.page({ limit: PAGE_SIZE, newsletterId: newsletter?.id, after });
    const query = (cursor: EditionCursor) => new URLSearchParams({ ...(slug ? { newsletter: slug } : {}), after: `${cursor.editionAt.toISOString()}~${cursor.id}` });
    listPage(200, {
      editions: page.editions.map((e) => ({ ...e, when: dateTime(e.editionAt), progress: progressOf(e.counts) })),
      next: page.next ? `/admin/editions?${query(page.next)}` : null,
      newest: slug ? `/admin/editions?newsletter=${encodeURIComponent(slug)}` : '/admin/editions',
    });
  });

  router.get('/admin/editions/:id', async (req, res) => {
    const edition = await editionOr404(req.params.id);
    const shedWhen = edition.shedAt && dateTime(edition.shedAt);
    sendConsolePage(pages, res, 'edition', { edition: { ...edition, when: dateTime(edition.editionAt), shedWhen, progress: progressOf(edition.counts) } });
  });

  router.get('/admin/editions/:id/counts', async (req, res) => {
    const edition = await editionOr404(req.params.id);
    res.json({ status: edition.status, counts: progressOf(edition.counts) });
  });

  router.post('/admin/editions/:id/retry', async (req, res: Response) => {
    const edition = await editionOr404(req.params.id);
    const requeued = await deps.desk.retryFailed(actorIn(res), edition.id);
    const text = requeued
      ? `${requeued} failed ${requeued === 1 ? 'delivery is' : 'deliveries are'} back in the queue: sending again.`
      : 'No failed deliveries to retry.';
    setFlash(res, { kind: requeued ? 'ok' : 'warn', text }, deps.secureCookies);
    res.redirect(303, `/admin/editions/${edition.id}`);
  });

  async function editionOr404(raw: unknown) {
    const edition = await deps.repository.summary(pathId(raw, 'No such edition'));
    if (!edition) throw new AppError('NOT_FOUND', 'No such edition');
    return edition;
  }

  return router;
}

/** undefined: no cursor (the first page); null: one that is not ours. */
function cursorOf(raw: unknown): EditionCursor | undefined | null {
  if (raw === undefined) return undefined;
  const m = typeof raw === 'string' ? CURSOR.exec(raw) : null;
  if (!m) return null;
  const editionAt = new Date(m[1]!);
  const id = Number(m[2]);
  return Number.isNaN(editionAt.getTime()) || id > MAX_ROW_ID ? null : { editionAt, id };
}
