import { Router, type Request, type Response } from 'express';
import type { Pages } from '../pages';
import { AppError, fieldErrors, validationError } from '../../shared/errors';
import type { LinkPurpose, SignedLinks } from '../../shared/signed-links';
import type { PreferencesService } from '../../subscriptions/preferences-service';
import type { UnsubscribeService } from '../../subscriptions/unsubscribe-service';
import { limitPerIp, type PublicRateLimits } from '../rate-limit';
import { consentOf } from './subscriptions';
import { emailOnlySchema, preferencesSchema } from './subscription-schemas';

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

  /** The subscriber a signed link stands for; a tampered or foreign link is a 404. */
  const signed = (req: Request, purpose: LinkPurpose): number => {
    const id = links.verify(purpose, req.query.s);
    if (id === undefined) throw new AppError('TOKEN_INVALID', 'This link is not valid. Please use the link from your latest email.');
    return id;
  };
  const unsubscribePage = async (res: Response, id: number, notice?: string) => {
    const subscriber = await deps.unsubscribe.subscriber(id);
    pages.send(res, 'unsubscribe', {
      status: subscriber.status,
      notice,
      token: links.token('unsubscribe', id),
      preferencesUrl: links.url('preferences', id),
    });
  };

  router.get('/unsubscribe', async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    await unsubscribePage(res, signed(req, 'unsubscribe'));
  });

  router.post('/unsubscribe', async (req, res) => {
    const id = signed(req, 'unsubscribe');
    // RFC 8058: mailbox providers POST "List-Unsubscribe=One-Click" (urlencoded or multipart, so
    // maybe unparsed here). Only our own page's button says `via=page`; anything else is one-click.
    const fromPage = req.body?.via === 'page';
    await deps.unsubscribe.unsubscribe(id, consentOf(req, fromPage ? 'unsubscribe-page' : 'one-click'));
    if (!fromPage) return void res.status(200).type('text/plain').send('You have been unsubscribed.');
    await unsubscribePage(res, id, 'unsubscribed');
  });

  router.post('/resubscribe', async (req, res) => {
    const id = signed(req, 'unsubscribe');
    const outcome = await deps.unsubscribe.resubscribe(id, consentOf(req, 'resubscribe-link'));
    if (outcome === 'pending') return void pages.send(res, 'check-inbox', { kind: 'signup' });
    await unsubscribePage(res, id, 'resubscribed');
  });

  router.get('/preferences', async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const id = signed(req, 'preferences');
    await preferencesPage(res, id, {});
  });

  router.post('/preferences', async (req, res) => {
    const id = signed(req, 'preferences');
    const parsed = preferencesSchema.safeParse(req.body ?? {});
    if (!parsed.success) return void (await preferencesPage(res, id, { errors: fieldErrors(parsed.error) }, 400));
    await deps.preferences.setFrequency(id, parsed.data.frequency);
    await preferencesPage(res, id, { saved: true });
  });

  async function preferencesPage(res: Response, id: number, extra: object, status = 200): Promise<void> {
    const subscriber = await deps.preferences.subscriber(id);
    pages.send(
      res,
      'preferences',
      {
        email: subscriber.email,
        status: subscriber.status,
        frequency: subscriber.frequency,
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
