import { Router, type Response } from 'express';
import { EVENT_TYPES } from '../../events/event-recorder';
import type { WebhookRegistry } from '../../events/webhook-registry';
import { AppError } from '../../shared/errors';
import { actorIn } from '../admin-auth';
import type { Pages } from '../pages';
import { idIn, sendConsolePage } from './console-pages';
import { setFlash } from './console-session';

/**
 * Webhooks (admins): register a URL for chosen events (its signing secret is shown once, on the
 * page that answers the form), see each one's last success and failure, its recent deliveries,
 * and delete it. The rules are the admin API's (src/events/webhook-registry.ts).
 */
export function webhooksRouter(deps: { webhooks: WebhookRegistry; pages: Pages; secureCookies: boolean }): Router {
  const router = Router();
  const { webhooks, pages } = deps;

  const webhooksPage = async (res: Response, extra: object = {}, status = 200) => {
    sendConsolePage(pages, res, 'webhooks', { webhooks: await webhooks.list(), eventTypes: EVENT_TYPES, values: { events: [] }, errors: {}, ...extra }, status);
  };

  router.get('/admin/webhooks', async (_req, res) => {
    await webhooksPage(res);
  });

  router.post('/admin/webhooks', async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    // A form sends one ticked box as a string, several as a list, none at all as nothing.
    const events = body.events === undefined ? [] : Array.isArray(body.events) ? body.events : [body.events];
    try {
      const created = await webhooks.create(actorIn(res), { url: body.url, events });
      await webhooksPage(res, { created });
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== 'VALIDATION') throw err;
      // The API names a bad entry of the list (`events.0`); the form has one place for them all.
      const errors = Object.fromEntries(Object.entries(err.details.fields ?? {}).map(([field, message]) => [field.startsWith('events') ? 'events' : field, message]));
      await webhooksPage(res, { values: { url: body.url, events }, errors }, 400);
    }
  });

  router.get('/admin/webhooks/:id', async (req, res) => {
    const id = idIn(req, 'webhook');
    sendConsolePage(pages, res, 'webhook', { webhook: await webhooks.get(id), deliveries: await webhooks.deliveries(id) });
  });

  router.post('/admin/webhooks/:id/delete', async (req, res) => {
    await webhooks.delete(actorIn(res), idIn(req, 'webhook'));
    setFlash(res, { kind: 'ok', text: 'The webhook is deleted: no further events go to it.' }, deps.secureCookies);
    res.redirect(303, '/admin/webhooks');
  });

  return router;
}
