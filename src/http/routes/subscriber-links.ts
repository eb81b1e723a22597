import { Router, type Request, type Response } from 'express';
import type { Pages } from '../pages';
import { AppError, fieldErrors, validationError } from '../../shared/errors';
import type { LinkPurpose, SignedLink, SignedLinks } from '../../shared/signed-links';
import type { NewsletterSelection, PreferencesService, PreferencesView } from '../../subscriptions/preferences-service';
import type { UnsubscribeService } from '../../subscriptions/unsubscribe-service';
import { limitPerIp, type PublicRateLimits } from '../rate-limit';
import { consentOf } from './subscriptions';
import { askedSlugs, emailOnlySchema, newsletterChoiceSchema } from './subscription-schemas';

export interface SubscriberLinkRoutesDeps {
  unsubscribe: UnsubscribeService;
  preferences: PreferencesService;
  pages: Pages;
  links: SignedLinks;
  limits: PublicRateLimits;
}

/**
 * Everything reached through a link in an email, without login or cookie: unsubscribe (also the
 * RFC 8058 one-click POST), resubscribe, preferences, and the "email me a manage link" form.
 */
export function subscriberLinksRouter(deps: SubscriberLinkRoutesDeps): Router {
  const router = Router();
  const { pages, links } = deps;

  /** Whom a signed link stands for (an address, or an address and one newsletter); a tampered or foreign link is a 404. */
  const signed = (req: Request, purpose: LinkPurpose): SignedLink => {
    const link = links.verifyLink(purpose, req.query.s);
    if (!link) throw new AppError('TOKEN_INVALID', 'This link is not valid. Please use the link from your latest email.');
    return link;
  };
  const unsubscribePage = async (res: Response, link: SignedLink, notice?: string) => {
    const id = link.subscriberId;
    const view = await deps.unsubscribe.view(id, link.newsletterId);
    pages.send(res, 'unsubscribe', {
      status: view.subscriber.status,
      notice,
      newsletter: view.newsletter,
      holds: view.holds,
      token: links.token('unsubscribe', id, view.newsletter?.id),
      everythingToken: links.token('unsubscribe', id),
      preferencesUrl: links.url('preferences', id),
    });
  };

  /** GET changes nothing (mail scanners open links): a scoped link asks "Leave <newsletter>?". */
  router.get('/unsubscribe', async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    await unsubscribePage(res, signed(req, 'unsubscribe'));
  });

  /**
   * A scoped link leaves its newsletter only (the one-click of an edition's List-Unsubscribe, RFC
   * 8058); a link for the whole address, old ones included, unsubscribes from everything.
   */
  router.post('/unsubscribe', async (req, res) => {
    const link = signed(req, 'unsubscribe');
    // RFC 8058: mailbox providers POST "List-Unsubscribe=One-Click" (urlencoded or multipart, so
    // maybe unparsed here). Only our own page's button says `via=page`; anything else is one-click.
    const fromPage = req.body?.via === 'page';
    const consent = consentOf(req, fromPage ? 'unsubscribe-page' : 'one-click');
    if (link.newsletterId !== undefined) await deps.unsubscribe.leave(link.subscriberId, link.newsletterId, consent);
    else await deps.unsubscribe.unsubscribe(link.subscriberId, consent);
    if (!fromPage) return void res.status(200).type('text/plain').send('You have been unsubscribed.');
    await unsubscribePage(res, link, link.newsletterId !== undefined ? 'left' : 'unsubscribed');
  });

  /** Undo: a scoped link takes its newsletter back; any link restores what was left of the address. */
  router.post('/resubscribe', async (req, res) => {
    const link = signed(req, 'unsubscribe');
    const outcome = await deps.unsubscribe.resubscribe(link.subscriberId, consentOf(req, 'resubscribe-link'), link.newsletterId);
    if (outcome === 'pending') return void pages.send(res, 'check-inbox', { kind: 'signup' });
    await unsubscribePage(res, link, 'resubscribed');
  });

  router.get('/preferences', async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const { subscriberId } = signed(req, 'preferences');
    preferencesPage(res, subscriberId, await deps.preferences.view(subscriberId), {});
  });

  /**
   * Saves the newsletters: the page sends `newsletters` (the ticked switches, and an empty value so
   * that none ticked is an answer too); old clients send `frequency` (that newsletter instead of
   * the other of daily and weekly). JSON answers JSON.
   */
  router.post('/preferences', async (req, res) => {
    const { subscriberId } = signed(req, 'preferences');
    const json = Boolean(req.is('application/json'));
    const body = (req.body ?? {}) as Record<string, unknown>;
    const parsed = newsletterChoiceSchema.safeParse(body);
    let selection: NewsletterSelection | undefined;
    let errors: Record<string, string> = {};
    if (!parsed.success) errors = fieldErrors(parsed.error);
    else if (parsed.data.newsletters !== undefined) selection = { kind: 'exactly', slugs: askedSlugs(parsed.data) };
    else if (parsed.data.frequency) selection = { kind: 'legacy-frequency', frequency: parsed.data.frequency };
    else errors = { newsletters: 'Send the newsletters you want, like ["daily"] (an empty list for none)' };
    try {
      if (!selection) throw validationError(errors);
      const view = await deps.preferences.choose(subscriberId, selection, consentOf(req, 'preferences-page'));
      if (json) return void res.json({ status: 'saved', newsletters: heldSlugs(view) });
      preferencesPage(res, subscriberId, view, { saved: true });
    } catch (err) {
      if (json || !(err instanceof AppError) || err.code !== 'VALIDATION') throw err;
      preferencesPage(res, subscriberId, await deps.preferences.view(subscriberId), { errors: err.details.fields ?? {} }, 400);
    }
  });

  function preferencesPage(res: Response, id: number, view: PreferencesView, extra: object, status = 200): void {
    pages.send(
      res,
      'preferences',
      {
        email: view.subscriber.email,
        status: view.subscriber.status,
        newsletters: view.newsletters,
        held: view.held,
        preferencesToken: links.token('preferences', id),
        unsubscribeToken: links.token('unsubscribe', id),
        errors: {},
        ...extra,
      },
      status,
    );
  }

  router.get('/manage', (_req, res) => {
    pages.send(res, 'manage', { values: {}, errors: {} });
  });

  router.post('/manage', limitPerIp(deps.limits.perIp), async (req, res) => {
    const json = Boolean(req.is('application/json'));
    const parsed = emailOnlySchema.safeParse(req.body ?? {});
    if (!parsed.success) {
      const errors = fieldErrors(parsed.error);
      if (json) throw validationError(errors);
      return void pages.send(res, 'manage', { values: req.body ?? {}, errors }, 400);
    }
    deps.limits.perAddress.check(`address:${parsed.data.email}`);
    await deps.preferences.requestManageLink(parsed.data.email);
    if (json) return void res.status(202).json({ status: 'received', message: 'If this address is on our list, a link is on its way.' });
    pages.send(res, 'check-inbox', { kind: 'manage' });
  });

  /**
   * The link from the manage email. It works once, and GET changes nothing (mail scanners open
   * links): the page posts itself (its script, or a button without scripts), and the POST spends
   * the token and leads to the preferences page.
   */
  router.get('/manage/open', async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const token = req.query.token;
    if (!(await deps.preferences.canOpenManageLink(token))) return void manageExpired(res);
    pages.send(res, 'manage-open', { token });
  });

  router.post('/manage/open', async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const id = await deps.preferences.openManageLink(req.body?.token);
    if (id === undefined) return void manageExpired(res);
    res.redirect(303, `/preferences?s=${links.token('preferences', id)}`);
  });

  const manageExpired = (res: Response) => pages.send(res, 'manage', { values: {}, errors: {}, expired: true }, 410);

  return router;
}

/** The slugs of the listed newsletters the reader holds. */
function heldSlugs(view: PreferencesView): string[] {
  return view.newsletters.filter((n) => view.held.includes(n.id)).map((n) => n.slug);
}
