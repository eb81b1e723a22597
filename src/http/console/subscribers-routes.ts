import { Router, type Request, type Response } from 'express';
import type { AuditLog } from '../../accounts/audit-log';
import type { SubscriberAdmin } from '../../lists/create-lists';
import { DIRECTORY_STATES, type DirectoryState } from '../../lists/subscriber-directory';
import type { NewsletterRepository } from '../../newsletters/newsletter-repository';
import { AppError } from '../../shared/errors';
import { MAX_ROW_ID } from '../../shared/row-id';
import { actorIn } from '../admin-auth';
import type { Pages } from '../pages';
import { idIn, sendConsolePage } from './console-pages';
import { setFlash } from './console-session';
import { readerPage } from './subscriber-view';

const PAGE_SIZE = 50;
/** The longest address (VARCHAR(254)): a longer prefix finds nobody. */
const MAX_PREFIX = 254;

type Deps = {
  subscribers: Pick<SubscriberAdmin, 'directory' | 'suppressions' | 'readerData' | 'erasure'>;
  newsletters: Pick<NewsletterRepository, 'all'>;
  audit: Pick<AuditLog, 'record'>;
  pages: Pages;
  secureCookies: boolean;
};

/**
 * Subscribers (admins only: readers' personal data): the list (newest first, or by address when
 * searching the start of one; by state and newsletter; 50 a page by cursor), one reader's page,
 * suppress and unsuppress, their data as JSON, and erasure after a confirmation, as the admin API
 * does it. Each change or hand-out is in the audit log, by id, never by address.
 */
export function subscribersRouter(deps: Deps): Router {
  const router = Router();
  const { subscribers, pages } = deps;
  const flashTo = (res: Response, path: string, text: string) => {
    setFlash(res, { kind: 'ok', text }, deps.secureCookies);
    res.redirect(303, path);
  };

  router.get('/admin/subscribers', async (req, res) => {
    const newsletters = await deps.newsletters.all();
    const text = (key: string) => (typeof req.query[key] === 'string' ? (req.query[key] as string).trim() : '');
    const values = { q: text('q').slice(0, MAX_PREFIX), state: text('state'), newsletter: text('newsletter') };
    const newsletter = newsletters.find((n) => n.slug === values.newsletter);
    const errors: Record<string, string> = {};
    if (values.state && !DIRECTORY_STATES.includes(values.state as DirectoryState)) errors.state = 'Choose pending, confirmed, unsubscribed or suppressed';
    if (values.newsletter && !newsletter) errors.newsletter = `No newsletter "${values.newsletter}": choose one from the list`;
    const after = req.query.after === undefined ? undefined : cursorOf(req.query.after);
    if (after === null) errors.after = 'This page link is damaged: start again from the first page';
    const view = { newsletters, values, errors, entries: [] as object[], first: after === undefined, filtered: Boolean(values.q || values.state || values.newsletter) };
    if (Object.keys(errors).length) return sendConsolePage(pages, res, 'subscribers', view, 400);

    const page = await subscribers.directory.page({
      prefix: values.q || undefined,
      state: (values.state || undefined) as DirectoryState | undefined,
      newsletterId: newsletter?.id,
      after: after ?? undefined,
      limit: PAGE_SIZE,
    });
    const filters = Object.entries(values).filter(([, v]) => v);
    const link = (extra: [string, string][]) => `/admin/subscribers${[...filters, ...extra].length ? `?${new URLSearchParams([...filters, ...extra])}` : ''}`;
    sendConsolePage(pages, res, 'subscribers', {
      ...view,
      entries: page.entries,
      firstPage: link([]),
      next: page.more ? link([['after', String(page.entries.at(-1)!.id)]]) : null,
    });
  });

  router.get('/admin/subscribers/:id', async (req, res) => {
    await showReader(req, res);
  });

  router.post('/admin/subscribers/:id/suppress', async (req, res) => {
    const id = idIn(req, 'subscriber');
    const reason = (req.body as Record<string, unknown> | undefined)?.reason;
    try {
      await subscribers.suppressions.suppress(id, reason, actorIn(res).label);
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== 'VALIDATION') throw err;
      return showReader(req, res, { values: { reason: typeof reason === 'string' ? reason : '' }, errors: err.details.fields ?? {} }, 400);
    }
    // Not the reason: it may name the reader.
    await deps.audit.record(actorIn(res), 'reader_suppressed', { type: 'subscriber', id });
    flashTo(res, `/admin/subscribers/${id}`, 'Suppressed: no edition or alert goes to this address until it is unsuppressed.');
  });

  router.post('/admin/subscribers/:id/unsuppress', async (req, res) => {
    const id = idIn(req, 'subscriber');
    await subscribers.suppressions.unsuppress(id, actorIn(res).label);
    await deps.audit.record(actorIn(res), 'reader_unsuppressed', { type: 'subscriber', id });
    flashTo(res, `/admin/subscribers/${id}`, 'Unsuppressed: the next editions go to this address again (if confirmed).');
  });

  router.get('/admin/subscribers/:id/data', async (req, res) => {
    const id = idIn(req, 'subscriber');
    const data = await subscribers.readerData.of(id, actorIn(res).label);
    await deps.audit.record(actorIn(res), 'reader_data_exported', { type: 'subscriber', id });
    res.attachment(`subscriber-${id}.json`).json(data);
  });

  router.get('/admin/subscribers/:id/erase', async (req, res) => {
    await showErasure(req, res, {});
  });

  router.post('/admin/subscribers/:id/erase', async (req, res) => {
    const id = idIn(req, 'subscriber');
    if ((req.body as Record<string, unknown> | undefined)?.understood !== 'yes') {
      return showErasure(req, res, { understood: 'Tick the box to say you understand that erasure cannot be undone' }, 400);
    }
    const result = await subscribers.erasure.erase(id, actorIn(res).label);
    await deps.audit.record(actorIn(res), 'reader_erased', { type: 'subscriber', id }, { ...result });
    const kept = result.deliveriesKept ? ` Their ${result.deliveriesKept} ${result.deliveriesKept === 1 ? 'delivery stays' : 'deliveries stay'} in the editions' counts, tied to no one.` : '';
    flashTo(res, '/admin/subscribers', `Subscriber #${id} is erased.${kept}`);
  });

  async function showReader(req: Request, res: Response, form: { values?: object; errors?: object } = {}, status = 200) {
    const data = await subscribers.readerData.read(idIn(req, 'subscriber'));
    const view = readerPage(data, await deps.newsletters.all());
    sendConsolePage(pages, res, 'subscriber', { ...view, values: { reason: '' }, errors: {}, ...form }, status);
  }

  async function showErasure(req: Request, res: Response, errors: Record<string, string>, status = 200) {
    const data = await subscribers.readerData.read(idIn(req, 'subscriber'));
    const { subscriber } = data;
    sendConsolePage(pages, res, 'subscriber-erase', { subscriber, counts: { consents: data.consents.length, deliveries: data.deliveries.length }, errors }, status);
  }

  return router;
}

/** `?after=<id>`: a subscriber id from a link of ours; null for anything else. */
function cursorOf(raw: unknown): number | null {
  if (typeof raw !== 'string' || !/^\d{1,10}$/.test(raw)) return null;
  const id = Number(raw);
  return id >= 1 && id <= MAX_ROW_ID ? id : null;
}
