import { Router } from 'express';
import type { WebhookRegistry } from '../../events/webhook-registry';
import { actorIn, requireAdmin, requireRole, type AdminApiAuth } from '../admin-auth';
import { pathId } from '../parse-input';

/**
 * /api/admin/webhooks: the operator's outgoing webhooks. Admins only (ADMIN_TOKEN or an admin's
 * API token): a webhook sends readers' addresses to another system. Creating answers the signing
 * secret once; nothing shows it again. The rules live in src/events.
 */
export function adminWebhooksRouter(deps: { webhooks: WebhookRegistry; auth: AdminApiAuth }): Router {
  const routes = Router();

  routes.post('/', async (req, res) => {
    const { webhook, secret } = await deps.webhooks.create(actorIn(res), req.body);
    res.status(201).json({ webhook, secret });
  });

  routes.get('/', async (_req, res) => {
    res.json({ webhooks: await deps.webhooks.list() });
  });

  routes.delete('/:id', async (req, res) => {
    await deps.webhooks.delete(actorIn(res), pathId(req.params.id, 'No webhook has that id'));
    res.json({ deleted: true });
  });

  routes.get('/:id/deliveries', async (req, res) => {
    res.json({ deliveries: await deps.webhooks.deliveries(pathId(req.params.id, 'No webhook has that id')) });
  });

  const router = Router();
  // Scoped to the path: a bare router.use() would demand the token from every later router too.
  router.use('/api/admin/webhooks', requireAdmin(deps.auth), requireRole('admin'), routes);
  return router;
}
