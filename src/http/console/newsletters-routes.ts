import { Router, type Request, type Response } from 'express';
import type { Actor } from '../../accounts/actor';
import type { AuditAction } from '../../accounts/audit-log';
import type { Newsletter } from '../../newsletters/newsletter';
import { AppError } from '../../shared/errors';
import { actorIn, requireRole } from '../admin-auth';
import type { Pages } from '../pages';
import { sendConsolePage } from './console-pages';
import { setFlash, type Flash } from './console-session';
import { formValues, NEW_NEWSLETTER, newsletterInput, valuesOf, type NewsletterFormValues } from './newsletter-form';
import { clockTime, sendableNewsletter, type Newsroom } from './newsroom';

/**
 * Newsletters: the list with their readers (from the dashboard's statistics), create and edit
 * (admins: the API's rule), archive and restore (admins), preview the next edition and send it
 * now (editors too). The form's values are judged by the admin API's validation, in the service.
 */
export function newslettersRouter(deps: Newsroom & { pages: Pages; secureCookies: boolean }): Router {
  const router = Router();
  const { pages, newsletterService: service } = deps;
  const adminOnly = requireRole('admin');

  /** To `path`, with a message of what happened (ok) or why nothing was (warn). */
  const flashTo = (res: Response, path: string, flash: Flash) => {
    setFlash(res, flash, deps.secureCookies);
    res.redirect(303, path);
  };
  const doneTo = (res: Response, path: string, message: string) => flashTo(res, path, { kind: 'ok', text: message });

  const formPage = (res: Response, form: { newsletter?: Newsletter; values: NewsletterFormValues; errors?: Record<string, string> }, status = 200) =>
    sendConsolePage(pages, res, 'newsletter-form', { errors: {}, ...form }, status);

  /** Runs a change; a refusal of the input shows the form again with the values typed and the fields named. */
  const changing = async (req: Request, res: Response, newsletter: Newsletter | undefined, change: () => Promise<void>) => {
    try {
      await change();
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== 'VALIDATION') throw err;
      const values = formValues(req.body ?? {}, newsletter ? 'edit' : 'create');
      formPage(res, { newsletter, values: newsletter ? { ...values, slug: newsletter.slug, kind: newsletter.kind } : values, errors: err.details.fields ?? {} }, 400);
    }
  };

  router.get('/admin/newsletters', async (_req, res) => {
    const [newsletters, counts] = await Promise.all([deps.newsletters.all(), deps.statistics.current()]);
    const byNewsletter = new Map(counts.newsletters.map((c) => [c.newsletterId, c]));
    sendConsolePage(pages, res, 'newsletters', {
      countedAt: clockTime(counts.countedAt),
      newsletters: newsletters.map((n) => ({ ...n, confirmed: byNewsletter.get(n.id)?.confirmed ?? 0, pending: byNewsletter.get(n.id)?.pending ?? 0 })),
    });
  });

  router.get('/admin/newsletters/new', adminOnly, (_req, res) => formPage(res, { values: NEW_NEWSLETTER }));

  router.post('/admin/newsletters', adminOnly, async (req, res) => {
    await changing(req, res, undefined, async () => {
      const created = await service.create(newsletterInput(req.body ?? {}, 'create'));
      await recordChange(actorIn(res), 'newsletter_created', created);
      doneTo(res, '/admin/newsletters', `${created.name} (${created.slug}) is created.`);
    });
  });

  router.get('/admin/newsletters/:slug/edit', adminOnly, async (req, res) => {
    const newsletter = await find(req.params.slug);
    formPage(res, { newsletter, values: valuesOf(newsletter) });
  });

  router.post('/admin/newsletters/:slug', adminOnly, async (req, res) => {
    const newsletter = await find(req.params.slug);
    await changing(req, res, newsletter, async () => {
      const updated = await service.patch(newsletter.slug, newsletterInput(req.body ?? {}, 'edit'));
      await recordChange(actorIn(res), 'newsletter_changed', updated);
      doneTo(res, '/admin/newsletters', `${updated.name} is saved.`);
    });
  });

  for (const [path, archived] of [['archive', true], ['restore', false]] as const) {
    router.post(`/admin/newsletters/:slug/${path}`, adminOnly, async (req, res) => {
      const newsletter = await find(req.params.slug);
      const updated = await service.patch(newsletter.slug, { archived });
      await recordChange(actorIn(res), archived ? 'newsletter_archived' : 'newsletter_restored', updated);
      const text = archived
        ? `${updated.name} is archived: no longer offered, scheduled or sent. Its readers and editions stay.`
        : `${updated.name} is restored: offered, scheduled and sent again.`;
      flashTo(res, '/admin/newsletters', { kind: 'ok', text });
    });
  }

  router.get('/admin/newsletters/:slug/preview', async (req, res) => {
    const newsletter = await sendable(req.params.slug);
    const preview = await deps.composer.preview(newsletter, deps.clock.now());
    sendConsolePage(pages, res, 'newsletter-preview', { newsletter, preview: preview.articles ? preview : null });
  });

  router.post('/admin/newsletters/:slug/send', async (req, res) => {
    const newsletter = await sendable(req.params.slug);
    const result = await deps.desk.sendNow(actorIn(res), newsletter);
    if (result.outcome === 'composed') {
      const readers = `${result.recipients} ${result.recipients === 1 ? 'reader' : 'readers'}`;
      return doneTo(res, `/admin/editions/${result.digestId}`, `The edition of ${newsletter.name} is on its way to ${readers}.`);
    }
    const why = {
      empty: result.outcome === 'empty' && result.dropped
        ? `Every article of the next edition is dropped (curated): nothing was sent. Restore some on its curation page, or wait for news.`
        : 'No articles since the previous edition: nothing was sent. It goes out once there is news.',
      'no-recipients': `Nobody receives ${newsletter.name} yet (no confirmed reader): nothing was sent, the articles wait for the next edition.`,
      exists: 'An edition for this moment already exists: nothing more was sent.',
    }[result.outcome];
    flashTo(res, '/admin/newsletters', { kind: 'warn', text: why });
  });

  function recordChange(actor: Actor, action: AuditAction, n: Newsletter): Promise<void> {
    return deps.audit.record(actor, action, { type: 'newsletter', id: n.slug }, { name: n.name });
  }

  async function find(slug: unknown): Promise<Newsletter> {
    if (typeof slug !== 'string') throw new AppError('NOT_FOUND', 'No such newsletter');
    const newsletter = await deps.newsletters.bySlug(slug);
    if (!newsletter) throw new AppError('NOT_FOUND', 'No such newsletter');
    return newsletter;
  }

  /** An active digest (see sendableNewsletter). */
  function sendable(slug: unknown): Promise<Newsletter> {
    return sendableNewsletter(deps.newsletters, slug);
  }

  return router;
}
