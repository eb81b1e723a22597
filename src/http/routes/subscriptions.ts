import { Router, type Request, type Response } from 'express';
import type { Pages } from '../pages';
import type { SignedLinks } from '../../shared/signed-links';
import { fieldErrors, validationError } from '../../shared/errors';
import { DEFAULT_FREQUENCY } from '../../shared/frequency';
import type { SignupService } from '../../subscriptions/signup-service';
import type { ConfirmationService } from '../../subscriptions/confirmation-service';
import type { ConsentContext } from '../../subscriptions/subscriber-repository';
import { foreignOrigin, signupCors } from '../cors';
import { limitPerIp, type PublicRateLimits } from '../rate-limit';
import { emailOnlySchema, honeypotFilled, signupSchema } from './subscription-schemas';

export interface SubscriptionRoutesDeps {
  signup: SignupService;
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

  router.get('/', (_req, res) => {
    pages.send(res, 'signup', { values: { frequency: DEFAULT_FREQUENCY }, errors: {}, ttlHours: deps.confirmationTtlHours });
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

    const parsed = signupSchema.safeParse(body);
    if (!parsed.success) {
      const fields = fieldErrors(parsed.error);
      if (json) throw validationError(fields);
      return void pages.send(res, 'signup', { values: body, errors: fields, ttlHours: deps.confirmationTtlHours }, 400);
    }
    limits.perAddress.check(`address:${parsed.data.email}`);
    const { email, name, frequency } = parsed.data;
    await deps.signup.signup({ email, name, frequency }, consentOf(req, sourceOf(req, json, parsed.data.source, deps.publicUrl)));
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
