import { Router, type Request, type Response } from 'express';
import type { Pages } from '../pages';
import type { SignedLinks } from '../../shared/signed-links';
import { fieldErrors, validationError } from '../../shared/errors';
import type { SignupService } from '../../subscriptions/signup-service';
import type { ConfirmationService } from '../../subscriptions/confirmation-service';
import { unknownNewslettersMessage, type NewsletterChoices } from '../../subscriptions/newsletter-choices';
import type { ConsentContext } from '../../subscriptions/subscriber-repository';
import { foreignOrigin, signupCors } from '../cors';
import { limitPerIp, type PublicRateLimits } from '../rate-limit';
import {
  askedSlugs, emailOnlySchema, honeypotFilled, newsletterChoiceSchema, NO_NEWSLETTER_CHOSEN, signupSchema, signupSlugs,
} from './subscription-schemas';

export interface SubscriptionRoutesDeps {
  signup: SignupService;
  choices: NewsletterChoices;
  confirmation: ConfirmationService;
  pages: Pages;
  links: SignedLinks;
  limits: PublicRateLimits;
  publicUrl: string;
  corsOrigins: readonly string[];
  confirmationTtlHours: number;
}

const RECEIVED_MESSAGE = 'Thanks! Check your inbox: we have sent you a link to confirm your subscription.';

/** The signup form, POST /subscribe (form or JSON) and the confirmation link of double opt-in. */
export function subscriptionsRouter(deps: SubscriptionRoutesDeps): Router {
  const router = Router();
  const { pages, limits } = deps;

  /** The signup page: the offered newsletters, and any other the reader's values name (a box's fixed one). */
  const signupPage = async (res: Response, values: Record<string, unknown>, errors: Record<string, string>, status = 200) => {
    const choice = newsletterChoiceSchema.safeParse(values);
    const ticked = choice.success ? askedSlugs(choice.data) : [];
    const newsletters = await deps.choices.listed(ticked);
    // With a single newsletter on offer there is nothing to choose: it is ticked from the start.
    const checked = status === 200 && ticked.length === 0 && newsletters.length === 1 ? [newsletters[0]!.slug] : ticked;
    pages.send(res, 'signup', { values, errors, newsletters, checked, ttlHours: deps.confirmationTtlHours }, status);
  };

  router.get('/', async (_req, res) => {
    await signupPage(res, {}, {});
  });

  router.use('/subscribe', signupCors({ allowedOrigins: deps.corsOrigins, publicUrl: deps.publicUrl, pages }));
  router.post('/subscribe', limitPerIp(limits.perIp), async (req, res) => {
    const json = Boolean(req.is('application/json'));
    const body = (req.body ?? {}) as Record<string, unknown>;
    const received = () =>
      json
        ? res.status(202).json({ status: 'received', message: RECEIVED_MESSAGE })
        : pages.send(res, 'check-inbox', { kind: 'signup' });

    // Bots get the same answer as people, and nothing is stored or sent.
    if (honeypotFilled(body)) return void received();

    // Every field is checked, so a form shows each message at once; the newsletters also against
    // the database (an unknown or archived slug is named). The same work for every address.
    const parsed = signupSchema.safeParse(body);
    const choice = newsletterChoiceSchema.safeParse(body);
    const fields = { ...(parsed.success ? {} : fieldErrors(parsed.error)), ...(choice.success ? {} : fieldErrors(choice.error)) };
    const { slugs, legacyDefault } = choice.success ? signupSlugs(choice.data) : { slugs: [], legacyDefault: false };
    if (choice.success && slugs.length === 0) fields.newsletters = NO_NEWSLETTER_CHOSEN;
    const { found, missing } = await deps.choices.resolve(slugs);
    if (missing.length) fields.newsletters = legacyDefault ? NO_NEWSLETTER_CHOSEN : unknownNewslettersMessage(missing);
    if (!parsed.success || Object.keys(fields).length) {
      if (json) throw validationError(fields);
      return void (await signupPage(res, body, fields, 400));
    }
    limits.perAddress.check(`address:${parsed.data.email}`);
    const { email, name } = parsed.data;
    await deps.signup.signup({ email, name, newsletters: found }, consentOf(req, sourceOf(req, json, parsed.data.source, deps.publicUrl)));
    received();
  });

  router.get('/confirm', async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const token = req.query.token;
    const { state } = await deps.confirmation.inspect(token);
    if (state === 'ready') return void pages.send(res, 'confirm', { token });
    showResult(res, state);
  });

  router.post('/confirm', async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const result = await deps.confirmation.confirm(req.body?.token, consentOf(req, 'confirmation-link'));
    showResult(res, result.state, result.subscriberId);
  });

  router.post('/confirm/resend', limitPerIp(limits.perIp), async (req, res) => {
    const parsed = emailOnlySchema.safeParse(req.body ?? {});
    if (!parsed.success) {
      return void pages.send(res, 'confirm-invalid', { state: 'unknown', values: req.body ?? {}, errors: fieldErrors(parsed.error) }, 400);
    }
    limits.perAddress.check(`address:${parsed.data.email}`);
    await deps.confirmation.resend(parsed.data.email);
    pages.send(res, 'check-inbox', { kind: 'resend' });
  });

  function showResult(res: Response, state: string, subscriberId?: number): void {
    if (state === 'confirmed' && subscriberId) {
      return void pages.send(res, 'confirmed', {
        unsubscribeToken: deps.links.token('unsubscribe', subscriberId),
        preferencesUrl: deps.links.url('preferences', subscriberId),
      });
    }
    // No links here: whoever holds a spent link is not shown the subscriber's permanent ones.
    if (state === 'already-confirmed') return void pages.send(res, 'confirmed', { already: true });
    pages.send(res, 'confirm-invalid', { state, values: {}, errors: {} }, state === 'expired' ? 410 : 404);
  }

  return router;
}

export function consentOf(req: Request, source: string): ConsentContext {
  return { ip: req.ip, userAgent: req.get('user-agent'), source };
}

/**
 * Proof of consent names the door: our page ("form"), a news site's page ("embed", with its
 * origin when the browser sent one) or the JSON API ("api").
 */
function sourceOf(req: Request, json: boolean, declared: string | undefined, publicUrl: string): string {
  const origin = foreignOrigin(req, publicUrl);
  const source = declared ?? (json ? 'api' : origin ? 'embed' : 'form');
  return origin ? `${source} ${origin}` : source;
}
